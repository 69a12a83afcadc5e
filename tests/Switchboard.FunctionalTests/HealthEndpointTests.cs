using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The executable's <c>/@health/live</c> and <c>/@health/ready</c>: paths no stage or base path can take, and readiness
/// that fails as soon as the node should get no new connections.
/// </summary>
public sealed class HealthEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Ready_TurnsUnavailable_AsSoonAsShutdownStarts_WhileConnectionsDrain_AndNewHandshakesAreRefused()
    {
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/ready")).Status);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri("/production"), CancellationToken.None);

        // The client does not read, so it does not answer the server's close frame: the drain waits for it.
        var stop = host.App.StopAsync();
        await Eventually.UntilAsync(async () => (await ProbeAsync(host, "@health/ready")).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), "readiness to fail once shutdown starts");

        var (status, body) = await ProbeAsync(host, "@health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(["shutdown"], Failing(body));
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/live")).Status);
        using (var late = new ClientWebSocket())
        {
            late.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => late.ConnectAsync(host.WebSocketUri("/production"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, late.HttpStatusCode);
        }

        Assert.False(stop.IsCompleted, "the probes ran during the drain");

        var client = new TestClient(socket);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await client.ReceiveCloseAsync()).Status);
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Ready_AtTheConnectionCap_IsUnavailable_AndRecoversWhenAConnectionCloses()
    {
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string> { ["Switchboard:Limits:MaxConnections"] = "1" });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri("/production"), CancellationToken.None);

        var (status, body) = await ProbeAsync(host, "@health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(["connection_cap"], Failing(body));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await Eventually.UntilAsync(async () => (await ProbeAsync(host, "@health/ready")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "readiness after the connection closed");
    }

    [Fact]
    public async Task Ready_WhenRedisStops_IsUnavailable_NamingTheFailingChecks()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>
        {
            ["Switchboard:Registry:Provider"] = "redis",
            ["Switchboard:Registry:Redis:Configuration"] = redis.Configuration,
        });
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/ready")).Status);

        await redis.KillAsync();

        // The registry's probe fails at its first call; the connection's own check once the client has noticed the
        // loss (its socket closed, a moment later): both end up named.
        var (_, body) = await Eventually.UntilAsync(
            () => ProbeAsync(host, "@health/ready"),
            probe => probe.Status == HttpStatusCode.ServiceUnavailable && Failing(probe.Body).Count == 2,
            TimeSpan.FromSeconds(20),
            "readiness to fail without Redis, naming both checks");
        Assert.Contains("redis", Failing(body));
        Assert.Contains("registry", Failing(body));
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/live")).Status);
    }

    [Fact]
    public async Task HealthPaths_WithAStageNamedHealth_StayHealthChecks_AndTheStageKeepsItsPath()
    {
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string> { ["Switchboard:Stage"] = "health" });

        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/ready")).Status);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri("/health"), CancellationToken.None);
        var client = new TestClient(socket);
        await client.SendTextAsync("""{"action":"echo"}""");
        Assert.Contains("echo", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthPaths_WithTheApiAtTheRoot_Work_AndTheLegacyPathToo()
    {
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string> { ["Switchboard:BasePath"] = "" });

        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "@health/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(host, "health")).Status);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri("/"), CancellationToken.None);
        using var stats = await Http.GetAsync(new Uri(host.BaseUri, "@stats"));
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string Body)> ProbeAsync(GatewayHostInstance host, string path)
    {
        using var response = await Http.GetAsync(new Uri(host.BaseUri, path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static List<string> Failing(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("failing").EnumerateArray().Select(name => name.GetString()!).ToList();
}
