using System.Net;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:Security:TrustedProxies</c>: forwarded headers count only from configured proxies, and then the
/// client they report is the one in events, in the rate limits and in the management API's loopback rule
/// (docs/security.md#behind-a-proxy). The test client on 127.0.0.1 plays the proxy.
/// </summary>
public sealed class TrustedProxyTests : IAsyncLifetime
{
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Task<TestGateway> StartAsync(bool directUpgrade, params string[] trustedProxies)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false",
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "http",
            ["Switchboard:Routes:0:Integration:Uri"] = _backend.UriFor("connect").ToString(),
            ["Switchboard:RateLimits:ConnectionsPerAddress:PerSecond"] = "1",
        };
        for (var i = 0; i < trustedProxies.Length; i++)
        {
            settings[$"Switchboard:Security:TrustedProxies:{i}"] = trustedProxies[i];
        }

        return TestGateway.StartAsync(settings);
    }

    private async Task<(int Status, JsonElement? Event)> ConnectThroughProxyAsync(TestGateway gateway, string forwardedFor, string? proto = null, string? port = null)
    {
        var headers = new List<KeyValuePair<string, string>> { new("X-Forwarded-For", forwardedFor) };
        if (proto is not null)
        {
            headers.Add(new("X-Forwarded-Proto", proto));
        }

        if (port is not null)
        {
            headers.Add(new("X-Forwarded-Port", port));
        }

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, headers);
        if (client.HandshakeStatusCode != 101)
        {
            return (client.HandshakeStatusCode, null);
        }

        var recorded = await _backend.NextEventAsync("$connect");
        // No duplicate keys: a strict parser accepts the event.
        using var strict = JsonDocument.Parse(recorded.Json, new JsonDocumentOptions { AllowDuplicateProperties = false });
        return (101, strict.RootElement.Clone());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TrustedProxyChain_IsHonoured_RightmostUntrustedAddressIsTheClient(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade, "127.0.0.1", "10.0.0.0/8");

        // The client claims 198.51.100.1; the proxy 10.1.2.3 received it from 203.0.113.9 over https on 443.
        var (status, connect) = await ConnectThroughProxyAsync(gateway, "198.51.100.1, 203.0.113.9, 10.1.2.3", proto: "https, http", port: "443, 8080");

        Assert.Equal(101, status);
        var context = connect!.Value.GetProperty("requestContext");
        Assert.Equal("203.0.113.9", context.GetProperty("identity").GetProperty("sourceIp").GetString());
        var headers = connect.Value.GetProperty("headers");
        // As API Gateway behind a proxy: what was forwarded, then the address the gateway received the request from.
        Assert.Equal("198.51.100.1, 203.0.113.9, 10.1.2.3, 127.0.0.1", headers.GetProperty("X-Forwarded-For").GetString());
        Assert.Equal("https", headers.GetProperty("X-Forwarded-Proto").GetString());
        Assert.Equal("443", headers.GetProperty("X-Forwarded-Port").GetString());
        var multi = connect.Value.GetProperty("multiValueHeaders");
        Assert.Equal(["https"], multi.GetProperty("X-Forwarded-Proto").EnumerateArray().Select(value => value.GetString()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HeadersFromAnUntrustedPeer_AreIgnored(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade, "10.0.0.0/8");

        var (status, connect) = await ConnectThroughProxyAsync(gateway, "203.0.113.9", proto: "https", port: "443");

        Assert.Equal(101, status);
        Assert.Equal("127.0.0.1", connect!.Value.GetProperty("requestContext").GetProperty("identity").GetProperty("sourceIp").GetString());
        var headers = connect.Value.GetProperty("headers");
        Assert.Equal("http", headers.GetProperty("X-Forwarded-Proto").GetString());
        Assert.Equal(gateway.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), headers.GetProperty("X-Forwarded-Port").GetString());
    }

    [Fact]
    public async Task ConnectionRatePerAddress_CountsTheForwardedClient()
    {
        await using var gateway = await StartAsync(directUpgrade: true, "127.0.0.1");

        var first = await ConnectThroughProxyAsync(gateway, "203.0.113.1");
        var again = await ConnectThroughProxyAsync(gateway, "203.0.113.1");
        var other = await ConnectThroughProxyAsync(gateway, "203.0.113.2");

        Assert.Equal([101, 429, 101], new[] { first.Status, again.Status, other.Status });
    }

    [Fact]
    public async Task ManagementLoopbackRule_ChecksTheForwardedClient()
    {
        await using var gateway = await StartAsync(directUpgrade: true, "127.0.0.1");
        using var http = new HttpClient();
        var list = new Uri($"{gateway.ManagementEndpoint}/@connections");

        using var direct = await http.GetAsync(list);
        using var fromOutside = new HttpRequestMessage(HttpMethod.Get, list) { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
        using var refused = await http.SendAsync(fromOutside);
        using var fromLoopback = new HttpRequestMessage(HttpMethod.Get, list) { Headers = { { "X-Forwarded-For", "127.0.0.1" } } };
        using var served = await http.SendAsync(fromLoopback);

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("ForbiddenException", refused.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.Forbidden)]
    public async Task ConsoleBehindATlsProxy_IsSameOrigin_OnlyWhenTheProxyIsTrusted(bool trusted, HttpStatusCode expected)
    {
        await using var gateway = trusted ? await StartAsync(directUpgrade: true, "127.0.0.1") : await StartAsync(directUpgrade: true);
        using var http = new HttpClient();
        // The page was served over https by the proxy, which forwards to the gateway over http with the same Host.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{gateway.ManagementEndpoint}/@connections"))
        {
            Headers = { { "Origin", $"https://{gateway.BaseUri.Authority}" }, { "X-Forwarded-For", "127.0.0.1" }, { "X-Forwarded-Proto", "https" } },
        };

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task ManagementLoopbackRule_IgnoresForwardedHeaders_WithoutTrustedProxies()
    {
        await using var gateway = await StartAsync(directUpgrade: true);
        using var http = new HttpClient();
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, new Uri($"{gateway.ManagementEndpoint}/@connections")) { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };

        using var response = await http.SendAsync(spoofed);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
