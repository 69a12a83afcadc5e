using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Management;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// What an embedding application attaches through the builder <c>MapSwitchboard</c> returns — ASP.NET Core's endpoint
/// policies, endpoint filters, its own <see cref="IManagementAccessCheck"/> — applies to the endpoints it names, on top
/// of the gateway's own management checks, which keep refusing what they refused before.
/// </summary>
public sealed class MapSwitchboardConventionTests
{
    private const string ApiKeyHeader = "X-Api-Key";

    [Fact]
    public async Task ManagementRequireHost_AppliesToTheManagementEndpoints_AndLeavesTheWebSocketEndpointAlone()
    {
        await using var harness = await Harness.StartAsync(endpoints: switchboard => switchboard.Management.RequireHost("localhost"));
        // The handshake goes to 127.0.0.1, which the management endpoints no longer answer.
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var port = harness.Gateway.BaseUri.Port;

        using (var post = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), host: $"127.0.0.1:{port}", body: "wrong host"))
        {
            // Only the endpoint for other stages is left to match the path: API Gateway's 403 for a path it does not serve.
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
            Assert.Equal("ForbiddenException", post.Headers.GetValues("x-amzn-ErrorType").Single());
        }

        using (var stats = await SendAsync(harness, HttpMethod.Get, harness.Url("/@stats"), host: $"127.0.0.1:{port}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, stats.StatusCode);
        }

        using (var post = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), host: $"localhost:{port}", body: "right host"))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        // The refused post never reached the client: the first message it gets is the allowed one.
        Assert.Equal("right host", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task ManagementEndpointFilter_RunsAfterTheGatewaysChecks_AndCanRefuse()
    {
        await using var harness = await Harness.StartAsync(
            configure: RemoteAddressFromHeader.Install,
            endpoints: switchboard => switchboard.Management.AddEndpointFilter(async (invocation, next) =>
                invocation.HttpContext.Request.Headers[ApiKeyHeader] == "secret" ? await next(invocation) : Results.Unauthorized()));
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using (var withoutKey = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), body: "no key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
            Assert.True(withoutKey.Headers.Contains("x-amzn-RequestId"), "the filter runs inside the gateway's management pipeline");
        }

        // A remote caller is refused by the loopback rule before the filter sees it, key or not.
        foreach (var key in new[] { "secret", null })
        {
            using var remote = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), body: "from afar", apiKey: key, remoteAddress: "198.51.100.7");
            Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
            Assert.Equal("ForbiddenException", remote.Headers.GetValues("x-amzn-ErrorType").Single());
            Assert.Empty(await remote.Content.ReadAsByteArrayAsync());
        }

        using (var withKey = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), body: "with key", apiKey: "secret"))
        {
            Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        }

        Assert.Equal("with key", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task AccessCheckAttachedAsMetadata_RefusesInAwsShape_AfterTheDefaults()
    {
        await using var harness = await Harness.StartAsync(
            configure: RemoteAddressFromHeader.Install,
            endpoints: switchboard => switchboard.Management.WithMetadata(new ApiKeyCheck("secret")));
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        foreach (var uri in new[] { harness.Gateway.ConnectionUri(id), harness.Url("/@connections"), harness.Url("/@stats") })
        {
            using var refused = await SendAsync(harness, HttpMethod.Get, uri);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("MissingAuthenticationTokenException", refused.Headers.GetValues("x-amzn-ErrorType").Single());
            Assert.True(refused.Headers.Contains("x-amzn-RequestId"));
            Assert.Equal("""{"message":"Missing Authentication Token"}""", await refused.Content.ReadAsStringAsync());
        }

        // The defaults run first: a remote caller gets their refusal, not the check's.
        using (var remote = await SendAsync(harness, HttpMethod.Get, harness.Url("/@stats"), remoteAddress: "198.51.100.7"))
        {
            Assert.Equal("ForbiddenException", remote.Headers.GetValues("x-amzn-ErrorType").Single());
        }

        using (var post = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), body: "no key"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        using (var post = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), body: "with key", apiKey: "secret"))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("with key", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task WebSocketRequireHost_AppliesToHandshakesThroughTheHttpPipeline_AndLeavesManagementAlone()
    {
        await using var harness = await Harness.StartAsync(directUpgrade: false, endpoints: switchboard => switchboard.WebSocket.RequireHost("localhost"));
        var port = harness.Gateway.BaseUri.Port;

        await using var wrongHost = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", $"127.0.0.1:{port}")]);
        await using var rightHost = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, [new("Host", $"localhost:{port}")]);

        Assert.Equal(404, wrongHost.HandshakeStatusCode);
        Assert.Equal(101, rightHost.HandshakeStatusCode);
        var id = (await harness.Recorder.NextAsync("$connect")).ConnectionId;
        Assert.False(harness.Recorder.TryTake("$connect", out _));
        using var post = await SendAsync(harness, HttpMethod.Post, harness.Gateway.ConnectionUri(id), host: $"127.0.0.1:{port}", body: "management as before");
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task WebSocketConvention_WithDirectUpgrade_IsAcceptedWithAWarningThatDirectHandshakesSkipIt()
    {
        var stage = "warned" + Guid.NewGuid().ToString("N")[..8];

        await using var harness = await Harness.StartAsync(
            new() { ["Switchboard:Stage"] = stage },
            directUpgrade: true,
            endpoints: switchboard => switchboard.WebSocket.RequireHost("localhost"));

        var warning = Assert.Single(TestLoggerProvider.Lines, line => line.Contains($"/{stage} ", StringComparison.Ordinal) && line.Contains("[21]", StringComparison.Ordinal));
        Assert.StartsWith("Warning", warning, StringComparison.Ordinal);
        Assert.Contains("DirectUpgrade", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConventionOnTheWholeBuilder_ReachesTheWebSocketEndpointAndEveryManagementEndpoint()
    {
        var marker = new object();

        await using var harness = await Harness.StartAsync(directUpgrade: false, endpoints: switchboard => switchboard.WithMetadata(marker));

        var marked = harness.Gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.Contains(marker))
            .Select(endpoint => $"{string.Join(",", endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])} {endpoint.RoutePattern.RawText}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "* /production",
                "DELETE /production/@connections/{connectionId}",
                "GET /production/@connections",
                "GET /production/@connections/{connectionId}",
                "GET /production/@stats",
                "POST /production/@broadcast",
                "POST /production/@connections/{connectionId}",
            ],
            marked);
    }

    private static async Task<HttpResponseMessage> SendAsync(
        Harness harness, HttpMethod method, Uri uri, string? host = null, string? body = null, string? apiKey = null, string? remoteAddress = null)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        if (apiKey is not null)
        {
            request.Headers.Add(ApiKeyHeader, apiKey);
        }

        if (remoteAddress is not null)
        {
            request.Headers.Add(RemoteAddressFromHeader.Header, remoteAddress);
        }

        return await harness.Http.SendAsync(request);
    }

    /// <summary>The shape a later authentication step takes: a check after the defaults, refusing as API Gateway does.</summary>
    private sealed class ApiKeyCheck(string key) : IManagementAccessCheck
    {
        private static readonly ManagementError Missing = new(StatusCodes.Status403Forbidden, "MissingAuthenticationTokenException", "Missing Authentication Token");

        public ValueTask<ManagementError?> CheckAsync(HttpContext context) =>
            ValueTask.FromResult(context.Request.Headers[ApiKeyHeader] == key ? null : Missing);
    }
}
