using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Testing;
using Switchboard.Transport;

namespace Switchboard.Tests.Connections;

/// <summary>
/// Opens single <see cref="GatewayConnection"/>s for unit tests, as the connection handler does once the handshake is
/// answered: real metrics, a fake clock that moves only when the test advances it.
/// </summary>
internal sealed class ConnectionTestBed : IDisposable
{
    /// <summary>How long a test waits for something that should happen at once; only a bug makes it wait that long.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A connection whose writer writes to <paramref name="output"/> from now on.</summary>
    public GatewayConnection Open(Stream output, LimitsOptions? limits = null, WebSocketUpgrade? transport = null) =>
        Open(output, Settings(limits ?? new LimitsOptions()), transport);

    /// <summary>A connection of a node whose connections share <paramref name="settings"/> (and so its outbound budget).</summary>
    public GatewayConnection Open(Stream output, ConnectionSettings settings, WebSocketUpgrade? transport = null)
    {
        var connection = new GatewayConnection("connection", Time.GetUtcNow(), "127.0.0.1", null, transport, settings);
        connection.Start(output);
        return connection;
    }

    /// <summary>What a node's connections share; <paramref name="outbound"/> null derives the budget as a node does.</summary>
    public ConnectionSettings Settings(LimitsOptions limits, OutboundBudget? outbound = null)
    {
        var metrics = new SwitchboardMetrics(_services.GetRequiredService<IMeterFactory>());
        return outbound is null ? new ConnectionSettings(limits, Time, metrics) : new ConnectionSettings(limits, Time, metrics, outbound);
    }

    /// <summary>The writer goes idle (which is what forgets a drop) right after its last write; nothing signals that.</summary>
    public static Task WaitUntilIdleAsync(GatewayConnection connection) =>
        Eventually.UntilAsync(() => Task.FromResult(!connection.IsWriting), Bound, "the connection's writer to go idle");

    public void Dispose() => _services.Dispose();
}
