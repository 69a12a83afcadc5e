using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Connections;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The system clock stepping forward or back while connections are open (NTP correcting a bad clock, a VM resumed, an
/// operator): limits measured in elapsed time (idle timeout, maximum duration, keep-alive, slow clients) run on the
/// monotonic clock and are not moved by the step; what is a wall time by nature (a JWT's <c>exp</c>) follows it.
/// docs/reliability.md, "Faults".
/// </summary>
public sealed class ClockJumpTests
{
    private readonly SteppedWallClock _clock = new(new ObservableFakeTimeProvider());

    private readonly RecordingRouteHandler _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(e.RouteKey == "$default" ? RouteResponse.WithBody("echo:" + e.Body) : RouteResponse.Ok),
    };

    private async Task<(TestGateway Gateway, ConnectionLifetimeMonitor Monitor)> StartAsync(Dictionary<string, string?> settings)
    {
        RecorderRoutes.AddTo(settings, ["$connect", "$disconnect", "$default"]);

        var gateway = await TestGateway.StartAsync(settings, services =>
        {
            services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler);
            services.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_clock));
        });
        return (gateway, gateway.Services.GetServices<IHostedService>().OfType<ConnectionLifetimeMonitor>().Single());
    }

    /// <summary>Lets <paramref name="by"/> really pass (the monotonic clock, which fires the monitor's timer) and sweeps once more.</summary>
    private void Elapse(ConnectionLifetimeMonitor monitor, TimeSpan by)
    {
        _clock.Monotonic.Advance(by);
        monitor.Sweep();
    }

    private static async Task RoundTripAsync(TestClient client, string text)
    {
        await client.SendTextAsync(text);
        Assert.Equal("echo:" + text, await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task WallClockStepsForwardAndBack_CloseNothing_AndTheIdleTimeoutStillCountsElapsedTime()
    {
        var (gateway, monitor) = await StartAsync(new()
        {
            ["Switchboard:Limits:IdleTimeout"] = "00:01:00",
            ["Switchboard:Limits:MaxConnectionDuration"] = "02:00:00",
            ["Switchboard:Limits:KeepAliveInterval"] = "00:00:20",
        });
        await using var _ = gateway;
        using var http = new HttpClient();
        await using var client = await gateway.ConnectAsync();
        var connect = await _handler.NextEventAsync("$connect");

        // Three hours ahead: past the idle timeout, the maximum duration and two keep-alive intervals, none of which passed.
        _clock.Step(TimeSpan.FromHours(3));
        Elapse(monitor, ConnectionLifetimeMonitor.SweepInterval);
        await RoundTripAsync(client, "after the step forward");
        using (var post = await http.PostAsync(gateway.ConnectionUri(connect.ConnectionId), new StringContent("posted")))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("posted", await client.ReceiveTextAsync());

        // Six hours back: the idle timeout still ends the connection one minute after its last message, not six hours later.
        _clock.Step(TimeSpan.FromHours(-6));
        await RoundTripAsync(client, "after the step back");
        Elapse(monitor, TimeSpan.FromSeconds(59));
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Elapse(monitor, TimeSpan.FromSeconds(1));

        var close = await client.ReceiveCloseAsync();
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, ConnectionLifetimeMonitor.IdleReason), close);
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal((connect.ConnectionId, 1001), (disconnect.ConnectionId, disconnect.DisconnectStatusCode));
        Assert.Empty(await gateway.ListIdsAsync(http));
    }

    [Fact]
    public async Task KeepAlive_AfterAStepBack_StillFindsADeadPeerWithinTwoIntervals()
    {
        var (gateway, monitor) = await StartAsync(new() { ["Switchboard:Limits:KeepAliveInterval"] = "00:00:20" });
        await using var _ = gateway;
        // A peer that answers nothing, not even pings: the raw client does not read.
        await using var peer = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        var connect = await _handler.NextEventAsync("$connect");

        Elapse(monitor, TimeSpan.FromSeconds(20)); // the ping goes out
        _clock.Step(TimeSpan.FromHours(-1));
        Elapse(monitor, TimeSpan.FromSeconds(20)); // no answer within an interval: aborted

        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal((connect.ConnectionId, 1006), (disconnect.ConnectionId, disconnect.DisconnectStatusCode));
    }

    [Fact]
    public async Task JwtLifetime_IsCheckedAgainstTheGatewaysClock_SoItFollowsAStep()
    {
        await using var issuer = await JwksServer.StartAsync();
        var key = JwksServer.NewKey("key-1");
        issuer.Serve(key);
        var (gateway, _) = await StartAsync(new()
        {
            ["Switchboard:Routes:0:Authorizer:Type"] = "jwt",
            ["Switchboard:Routes:0:Authorizer:Jwt:Issuer"] = JwksServer.Issuer,
            ["Switchboard:Routes:0:Authorizer:Jwt:Audiences:0"] = JwksServer.Audience,
            ["Switchboard:Routes:0:Authorizer:Jwt:JwksUri"] = issuer.JwksUri.ToString(),
            ["Switchboard:Routes:0:Authorizer:Jwt:ClockSkew"] = "00:00:30",
        });
        await using var _ = gateway;
        var token = JwksServer.Token(key, expires: _clock.GetUtcNow().UtcDateTime.AddMinutes(2));
        Action<ClientWebSocketOptions> bearer = options => options.SetRequestHeader("Authorization", $"Bearer {token}");

        _clock.Step(TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.RefusedHandshakeAsync(configure: bearer));

        _clock.Step(TimeSpan.FromMinutes(-5));
        await using var client = await gateway.ConnectAsync(configure: bearer);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, client.Socket.HttpStatusCode);
    }
}

/// <summary>
/// A clock whose wall time can be stepped without moving its monotonic timestamp, as the system clock is stepped while
/// <see cref="System.Diagnostics.Stopwatch"/> keeps counting: timers and timestamps come from <see cref="Monotonic"/>.
/// </summary>
internal sealed class SteppedWallClock(ObservableFakeTimeProvider monotonic) : TimeProvider
{
    private long _offsetTicks;

    /// <summary>The time that really passes: advance it to fire timers.</summary>
    public ObservableFakeTimeProvider Monotonic { get; } = monotonic;

    /// <summary>Steps the wall clock by <paramref name="by"/> (negative: back); no time passes.</summary>
    public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => Monotonic.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public override long GetTimestamp() => Monotonic.GetTimestamp();

    public override long TimestampFrequency => Monotonic.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Monotonic.CreateTimer(callback, state, dueTime, period);
}
