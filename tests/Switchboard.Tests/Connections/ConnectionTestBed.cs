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

    /// <summary>Now on the connections' monotonic clock (<see cref="ConnectionSettings.ClockMs()"/>).</summary>
    public long NowMs => ConnectionSettings.ClockMs(Time);

    /// <summary>A connection whose writer writes to <paramref name="output"/> from now on.</summary>
    public GatewayConnection Open(Stream output, LimitsOptions? limits = null, WebSocketUpgrade? transport = null)
    {
        var settings = new ConnectionSettings(limits ?? new LimitsOptions(), Time, new SwitchboardMetrics(_services.GetRequiredService<IMeterFactory>()));
        var connection = new GatewayConnection("connection", Time.GetUtcNow(), "127.0.0.1", null, transport, settings);
        connection.Start(output);
        return connection;
    }

    /// <summary>The writer goes idle (which is what forgets a drop) right after its last write; nothing signals that.</summary>
    public static Task WaitUntilIdleAsync(GatewayConnection connection) =>
        Eventually.UntilAsync(() => Task.FromResult(!connection.IsWriting), Bound, "the connection's writer to go idle");

    public void Dispose() => _services.Dispose();
}
