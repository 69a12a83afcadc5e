using System.Net;
using System.Text;
using Switchboard.Events;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// What a web page can make a visitor's browser do to a gateway, reproduced with the headers a browser sends
/// (docs/security.md, "Browsers"): DNS rebinding (a foreign <c>Host</c>), cross-site management calls (<c>Origin</c>,
/// <c>Sec-Fetch-Site</c>), and a client's Host becoming <c>requestContext.domainName</c>. tests/browser does the same
/// from Chromium against the executable.
/// </summary>
public sealed class BrowserAttackTests
{
    private const string ForeignHost = "attacker.example";

    public static TheoryData<bool> BothHandshakePaths => new() { true, false };

    [Fact]
    public async Task ManagementApi_WithForeignHost_Answers400_AndListsNothing()
    {
        await using var harness = await Harness.StartAsync();
        var (client, _) = await harness.ConnectAsync();
        await using var _ = client;

        using var request = new HttpRequestMessage(HttpMethod.Get, harness.Url("/@connections"));
        request.Headers.Host = ForeignHost;
        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BadRequestException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.DoesNotContain("connectionId", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("[::1]")]
    public async Task ManagementApi_WithTheListenAddressOrLocalhost_IsServed(string host)
    {
        await using var harness = await Harness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, harness.Url("/@connections"));
        request.Headers.Host = $"{host}:{harness.Gateway.BaseUri.Port}";

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(BothHandshakePaths))]
    public async Task Handshake_WithForeignHost_IsRefusedWith400_BeforeConnect(bool directUpgrade)
    {
        await using var harness = await Harness.StartAsync(directUpgrade: directUpgrade);

        await using var client = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", $"{ForeignHost}:{harness.Gateway.BaseUri.Port}")]);

        Assert.Equal(400, client.HandshakeStatusCode);
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Theory]
    [MemberData(nameof(BothHandshakePaths))]
    public async Task AllowedHosts_WhenConfigured_ReplacesTheDefault(bool directUpgrade)
    {
        await using var harness = await Harness.StartAsync(new() { ["AllowedHosts"] = "gateway.example.com" }, directUpgrade: directUpgrade);
        var port = harness.Gateway.BaseUri.Port;

        await using var allowed = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", $"gateway.example.com:{port}")]);
        await using var listenAddress = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri);

        Assert.Equal(101, allowed.HandshakeStatusCode);
        Assert.Equal($"gateway.example.com:{port}", (await harness.Recorder.NextAsync("$connect")).DomainName);
        Assert.Equal(400, listenAddress.HandshakeStatusCode);
    }

    [Theory]
    [MemberData(nameof(BothHandshakePaths))]
    public async Task DomainName_IsNeverAPortTheClientChose(bool directUpgrade)
    {
        await using var harness = await Harness.StartAsync(directUpgrade: directUpgrade);

        // localhost is allowed, but the client's server on port 6666 is not where handlers must call back.
        await using var client = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", "localhost:6666")]);

        Assert.Equal(101, client.HandshakeStatusCode);
        Assert.Equal($"localhost:{harness.Gateway.BaseUri.Port}", (await harness.Recorder.NextAsync("$connect")).DomainName);
    }

    [Theory]
    [MemberData(nameof(BothHandshakePaths))]
    public async Task DomainName_WhenAnyHostIsAllowed_IsNotTheClientsHost(bool directUpgrade)
    {
        await using var harness = await Harness.StartAsync(new() { ["AllowedHosts"] = "*" }, directUpgrade: directUpgrade);

        await using var client = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", "evil.example")]);

        Assert.Equal(101, client.HandshakeStatusCode);
        var connect = await harness.Recorder.NextAsync("$connect");
        Assert.Equal($"localhost:{harness.Gateway.BaseUri.Port}", connect.DomainName);
        await client.SendFrameAsync(RawWebSocketClient.Text, "hello"u8.ToArray());
        Assert.Equal(connect.DomainName, (await harness.Recorder.NextAsync("$default")).DomainName);
    }

    [Fact]
    public async Task DomainName_WhenConfigured_IsUsedWhateverTheHost()
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:DomainName"] = "ws.example.com", ["AllowedHosts"] = "*" });

        await using var client = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", "evil.example")]);

        Assert.Equal("ws.example.com", (await harness.Recorder.NextAsync("$connect")).DomainName);
    }

    [Theory]
    [InlineData("http://localhost:1", null)] // another site's page, fetch(url, {mode: 'no-cors', method: 'POST', body})
    [InlineData("null", null)] // a sandboxed frame or a data: page
    [InlineData(null, "cross-site")] // a no-cors GET, which carries no Origin
    [InlineData(null, "same-site")] // another port of the same host: same site, not same origin
    public async Task CrossSiteBrowserCalls_Answer403_AndDeliverNothing(string? origin, string? fetchSite)
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        foreach (var path in new[] { $"/@connections/{id}", "/@broadcast" })
        {
            using var request = BrowserRequest(HttpMethod.Post, harness.Url(path), origin, fetchSite);
            request.Content = new ByteArrayContent("forged"u8.ToArray());
            using var response = await harness.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("ForbiddenException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        }

        using (var delete = BrowserRequest(HttpMethod.Delete, harness.Gateway.ConnectionUri(id), origin, fetchSite))
        using (var response = await harness.Http.SendAsync(delete))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // Nothing got through: the next message is the one sent without browser headers.
        using (var post = await harness.Http.PostAsync(harness.Gateway.ConnectionUri(id), new ByteArrayContent("genuine"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("genuine", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("own", "same-origin")] // the console the gateway serves
    [InlineData("https://admin.example.com", "cross-site")] // listed in AllowedOrigins
    [InlineData(null, "none")] // typed into the address bar
    [InlineData(null, null)] // AWS SDKs, curl, the CLI
    public async Task SameOriginConfiguredOriginAndNonBrowserCalls_AreServed(string? origin, string? fetchSite)
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Management:AllowedOrigins:0"] = "https://admin.example.com" });
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var own = $"http://{harness.Gateway.BaseUri.Authority}";

        using var request = BrowserRequest(HttpMethod.Post, harness.Gateway.ConnectionUri(id), origin == "own" ? own : origin, fetchSite);
        request.Content = new ByteArrayContent("welcome"u8.ToArray());
        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("welcome", await client.ReceiveTextAsync());
    }

    private static HttpRequestMessage BrowserRequest(HttpMethod method, Uri uri, string? origin, string? fetchSite)
    {
        var request = new HttpRequestMessage(method, uri);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return request;
    }
}
