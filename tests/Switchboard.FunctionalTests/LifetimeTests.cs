using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Switchboard.Connections;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Registry;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// How connections end without anyone asking (docs/aws-compatibility.md, "Limits"): idle timeout, maximum duration, dead peers
/// found by keep-alive pings, and graceful shutdown. Time is a fake clock; the lifetime monitor's sweep is driven
/// by advancing it and by calling <see cref="ConnectionLifetimeMonitor.Sweep"/>.
/// </summary>
public sealed class LifetimeTests
{
    private readonly ObservableFakeTimeProvider _time = new();

    /// <summary>Records $connect, $disconnect and $default; $default is two-way and echoes the message.</summary>
    private readonly RecordingRouteHandler _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(e.RouteKey == "$default" ? RouteResponse.WithBody("echo:" + e.Body) : RouteResponse.Ok),
    };

    private async Task<(TestGateway Gateway, ConnectionLifetimeMonitor Monitor)> StartAsync(Dictionary<string, string?> limits, bool fakeTime = true)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var (key, value) in limits)
        {
            settings[$"Switchboard:Limits:{key}"] = value;
        }

        RecorderRoutes.AddTo(settings, ["$connect", "$disconnect", "$default"]);

        var gateway = await TestGateway.StartAsync(settings, services =>
        {
            services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler);
            if (fakeTime)
            {
                services.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time));
            }
        });
        return (gateway, gateway.Services.GetServices<IHostedService>().OfType<ConnectionLifetimeMonitor>().Single());
    }

    /// <summary>Moves the clock (which fires the monitor's own timer) and runs one more sweep at the new time.</summary>
    private void AdvanceAndSweep(ConnectionLifetimeMonitor monitor, TimeSpan by)
    {
        _time.Advance(by);
        monitor.Sweep();
    }

    private static async Task RoundTripAsync(TestClient client, string text)
    {
        await client.SendTextAsync(text);
        Assert.Equal("echo:" + text, await client.ReceiveTextAsync());
    }

    /// <summary>Reads the server's close frame and completes the closing handshake as a browser would.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveServerCloseAsync(TestClient client)
    {
        var close = await client.ReceiveCloseAsync();
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        return close;
    }

    [Fact]
    public async Task IdleConnection_IsClosedWith1001IdleTimeout_AndDisconnectSaysSo()
    {
        var (gateway, monitor) = await StartAsync(new() { ["IdleTimeout"] = "00:01:00", ["KeepAliveInterval"] = "00:00:00" });
        await using var _ = gateway;
        await using var client = await gateway.ConnectAsync();
        var connect = await _handler.NextEventAsync("$connect");

        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(59));
        await RoundTripAsync(client, "still here at 59 s");
        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(60));

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "Idle timeout"), await ReceiveServerCloseAsync(client));
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(connect.ConnectionId, disconnect.ConnectionId);
        Assert.Equal(1001, disconnect.DisconnectStatusCode);
        Assert.Equal("Idle timeout", disconnect.DisconnectReason);
    }

    [Fact]
    public async Task ClientMessages_KeepTheConnectionOpenPastTheIdleTimeout()
    {
        var (gateway, monitor) = await StartAsync(new() { ["IdleTimeout"] = "00:01:00", ["KeepAliveInterval"] = "00:00:00" });
        await using var _ = gateway;
        await using var client = await gateway.ConnectAsync();

        // Three idle timeouts in all, but never more than 40 s without a message.
        for (var i = 0; i < 4; i++)
        {
            AdvanceAndSweep(monitor, TimeSpan.FromSeconds(40));
            await RoundTripAsync(client, $"tick {i}");
        }

        Assert.Equal(WebSocketState.Open, client.Socket.State);

        // Without messages the same connection does time out.
        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(60));
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "Idle timeout"), await ReceiveServerCloseAsync(client));
    }

    [Fact]
    public async Task ClientMessagesAlone_CountAsActivity()
    {
        var (gateway, monitor) = await StartAsync(new() { ["IdleTimeout"] = "00:01:00", ["KeepAliveInterval"] = "00:00:00" });
        await using var _ = gateway;
        _handler.Responder = (_, _) => ValueTask.FromResult(RouteResponse.Ok);
        await using var client = await gateway.ConnectAsync();

        // Nothing goes back to the client: only its own messages keep the connection alive.
        for (var i = 0; i < 3; i++)
        {
            AdvanceAndSweep(monitor, TimeSpan.FromSeconds(40));
            await client.SendTextAsync($"quiet {i}");
            Assert.Equal($"quiet {i}", (await _handler.NextEventAsync("$default")).Body);
        }

        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(40));
        _handler.Responder = (e, _) => ValueTask.FromResult(RouteResponse.WithBody("echo:" + e.Body));
        await RoundTripAsync(client, "still open after 160 s");
    }

    [Fact]
    public async Task MessagesFromTheServerAlone_CountAsActivity()
    {
        var (gateway, monitor) = await StartAsync(new() { ["IdleTimeout"] = "00:01:00", ["KeepAliveInterval"] = "00:00:00" });
        await using var _ = gateway;
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var __ = client;
        var manager = gateway.Services.GetRequiredService<Management.ConnectionManager>();

        // PostToConnection every 40 s, the client never says anything.
        for (var i = 0; i < 3; i++)
        {
            AdvanceAndSweep(monitor, TimeSpan.FromSeconds(40));
            Assert.Equal(Management.PostResult.Delivered, await manager.PostAsync(connectionId, System.Text.Encoding.UTF8.GetBytes($"push {i}")));
            Assert.Equal($"push {i}", await client.ReceiveTextAsync());
        }

        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(40));
        await RoundTripAsync(client, "still open after 160 s");
    }

    [Fact]
    public async Task ConnectionOlderThanMaxConnectionDuration_IsClosedWith1001_EvenWhenActive()
    {
        var (gateway, monitor) = await StartAsync(new() { ["MaxConnectionDuration"] = "00:05:00", ["IdleTimeout"] = "00:10:00", ["KeepAliveInterval"] = "00:00:00" });
        await using var _ = gateway;
        await using var client = await gateway.ConnectAsync();

        AdvanceAndSweep(monitor, TimeSpan.FromMinutes(3));
        await RoundTripAsync(client, "active at 3 min");
        AdvanceAndSweep(monitor, TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        await RoundTripAsync(client, "active at 4:59");
        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(1));

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "Maximum connection duration reached"), await ReceiveServerCloseAsync(client));
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(1001, disconnect.DisconnectStatusCode);
        Assert.Equal("Maximum connection duration reached", disconnect.DisconnectReason);
    }

    [Fact]
    public async Task KeepAlive_PingsAfterTheInterval_AndDropsAPeerThatNeverAnswers()
    {
        var (gateway, monitor) = await StartAsync(new() { ["KeepAliveInterval"] = "00:00:30" });
        await using var _ = gateway;
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        var connect = await _handler.NextEventAsync("$connect");

        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(30));
        var ping = await client.ReceiveFrameAsync();
        Assert.Equal(RawWebSocketClient.Ping, ping.Opcode);

        // No pong, nothing else either: one more interval and the gateway gives up on the peer.
        AdvanceAndSweep(monitor, TimeSpan.FromSeconds(30));
        await client.WaitForEndOfStreamAsync();
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(connect.ConnectionId, disconnect.ConnectionId);
        Assert.Equal(1006, disconnect.DisconnectStatusCode);
        using var http = new HttpClient();
        Assert.Empty(await gateway.ListIdsAsync(http));
    }

    [Fact]
    public async Task KeepAlive_PeerThatAnswersPings_StaysConnected()
    {
        var (gateway, monitor) = await StartAsync(new() { ["KeepAliveInterval"] = "00:00:30" });
        await using var _ = gateway;
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        for (var i = 0; i < 3; i++)
        {
            AdvanceAndSweep(monitor, TimeSpan.FromSeconds(30));
            var ping = await client.ReceiveFrameAsync();
            Assert.Equal(RawWebSocketClient.Ping, ping.Opcode);
            await client.SendFrameAsync(RawWebSocketClient.Pong, ping.Payload);

            // A ping of our own, answered after the pong was read, proves the gateway has seen the pong.
            await client.SendFrameAsync(RawWebSocketClient.Ping, new byte[] { (byte)i });
            Assert.Equal(RawWebSocketClient.Pong, (await client.ReceiveFrameAsync()).Opcode);
        }

        await client.SendTextAsync("alive");
        var reply = await client.ReceiveFrameAsync();
        Assert.Equal(RawWebSocketClient.Text, reply.Opcode);
        Assert.Equal("echo:alive"u8.ToArray(), reply.Payload);
    }

    [Fact]
    public async Task GracefulShutdown_ClosesEveryClientWith1001_RunsDisconnectForEach_AndEmptiesTheRegistry()
    {
        var (gateway, _) = await StartAsync(new(), fakeTime: false);
        await using var __ = gateway;
        var clients = new List<TestClient>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await gateway.ConnectAsync());
        }

        using var http = new HttpClient();
        var ids = await gateway.ListIdsAsync(http);
        Assert.Equal(3, ids.Count);

        var stopping = gateway.StopAsync();
        var closes = await Task.WhenAll(clients.Select(ReceiveServerCloseAsync));
        await stopping.WaitAsync(TestClient.DefaultTimeout);

        Assert.All(closes, close => Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "Server shutting down"), close));
        var disconnects = new List<Events.RouteEvent>();
        for (var i = 0; i < 3; i++)
        {
            disconnects.Add(await _handler.NextEventAsync("$disconnect"));
        }

        Assert.Equal(ids.Order(), disconnects.Select(d => d.ConnectionId).Order());
        Assert.All(disconnects, d =>
        {
            Assert.Equal(1001, d.DisconnectStatusCode);
            Assert.Equal("Server shutting down", d.DisconnectReason);
        });
        var registry = gateway.Services.GetRequiredService<IConnectionRegistry>();
        Assert.Empty((await registry.ListAsync(100, null, CancellationToken.None)).Items);

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
