using System.Diagnostics.Metrics;

namespace Switchboard.Diagnostics;

/// <summary>
/// The gateway's instruments, all on one <see cref="Meter"/> named <c>Switchboard</c>, plus the running
/// totals the <c>@stats</c> endpoint reports.
/// </summary>
public sealed class SwitchboardMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to (OpenTelemetry, dotnet-counters).</summary>
    public const string MeterName = "Switchboard";

    private readonly Meter _meter;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsClosed;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _messagesOut;
    private readonly Counter<long> _messagesDropped;
    private readonly Counter<long> _requestsRefused;
    private readonly Histogram<double> _integrationDuration;
    private long _openConnections;
    private long _totalMessagesIn;
    private long _totalMessagesOut;

    /// <summary>Creates the instruments.</summary>
    public SwitchboardMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _connectionsOpened = _meter.CreateCounter<long>("switchboard.connections.opened", "{connection}", "Connections accepted");
        _connectionsClosed = _meter.CreateCounter<long>("switchboard.connections.closed", "{connection}", "Connections ended");
        _meter.CreateObservableUpDownCounter("switchboard.connections.open", () => Interlocked.Read(ref _openConnections), "{connection}", "Connections open on this node");
        _messagesIn = _meter.CreateCounter<long>("switchboard.messages.in", "{message}", "Messages received from clients");
        _messagesOut = _meter.CreateCounter<long>("switchboard.messages.out", "{message}", "Messages written to clients");
        _messagesDropped = _meter.CreateCounter<long>("switchboard.messages.dropped", "{message}", "Messages and pongs dropped because a client's outbound queue was at its bound");
        _requestsRefused = _meter.CreateCounter<long>("switchboard.requests.refused", "{request}", "Handshakes, messages, integration calls and management calls refused by an origin list or a rate limit, by the setting that refused them");
        _integrationDuration = _meter.CreateHistogram<double>("switchboard.integration.duration", "ms", "Integration call time");
    }

    /// <summary>Connections open on this node.</summary>
    public long OpenConnections => Interlocked.Read(ref _openConnections);

    /// <summary>Messages received from clients since start.</summary>
    public long MessagesIn => Interlocked.Read(ref _totalMessagesIn);

    /// <summary>Messages written to clients since start.</summary>
    public long MessagesOut => Interlocked.Read(ref _totalMessagesOut);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _openConnections);
        _connectionsOpened.Add(1);
    }

    internal void ConnectionClosed()
    {
        Interlocked.Decrement(ref _openConnections);
        _connectionsClosed.Add(1);
    }

    internal void MessageIn()
    {
        Interlocked.Increment(ref _totalMessagesIn);
        _messagesIn.Add(1);
    }

    internal void MessageOut()
    {
        Interlocked.Increment(ref _totalMessagesOut);
        _messagesOut.Add(1);
    }

    internal void MessageDropped() => _messagesDropped.Add(1);

    /// <summary>Counts a refusal; <paramref name="setting"/> is the configuration key that refused it (<c>RateLimits:ConnectionsPerAddress</c>).</summary>
    internal void RequestRefused(string setting) => _requestsRefused.Add(1, new KeyValuePair<string, object?>("setting", setting));

    internal void IntegrationCompleted(string routeKey, string outcome, TimeSpan elapsed) =>
        _integrationDuration.Record(
            elapsed.TotalMilliseconds,
            new KeyValuePair<string, object?>("route", routeKey),
            new KeyValuePair<string, object?>("outcome", outcome));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
