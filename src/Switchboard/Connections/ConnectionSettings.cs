using Switchboard.Configuration;
using Switchboard.Diagnostics;

namespace Switchboard.Connections;

/// <summary>
/// What every connection of the node shares: its outbound limits and budget, the clock and the metrics. One instance per node,
/// referenced by each <see cref="GatewayConnection"/>, so that a connection's size does not grow with every limit.
/// The limits are read from the current snapshot at each use, so a reload applies them to open connections: a queue
/// bound to the next message queued, the close timeout to the next close begun.
/// </summary>
internal sealed class ConnectionSettings(LimitsSource limits, TimeProvider time, SwitchboardMetrics metrics, OutboundBudget outbound)
{
    /// <summary>Settings with the outbound budget the startup limits derive from the memory the GC may use (the budget needs a restart).</summary>
    public ConnectionSettings(LimitsSource limits, TimeProvider time, SwitchboardMetrics metrics)
        : this(limits, time, metrics, new OutboundBudget(OutboundBudget.BytesFor(limits.Current, MemoryLimit.AvailableBytes)))
    {
    }

    /// <summary>For a fixed set of limits (tests, benchmarks), with the budget they derive.</summary>
    public ConnectionSettings(LimitsOptions limits, TimeProvider time, SwitchboardMetrics metrics)
        : this(new LimitsSource(limits), time, metrics)
    {
    }

    /// <summary>For a fixed set of limits and a given budget (tests).</summary>
    public ConnectionSettings(LimitsOptions limits, TimeProvider time, SwitchboardMetrics metrics, OutboundBudget outbound)
        : this(new LimitsSource(limits), time, metrics, outbound)
    {
    }

    /// <summary>See <see cref="LimitsOptions.MaxQueuedMessagesPerConnection"/>.</summary>
    public int MaxQueuedMessages => limits.Current.MaxQueuedMessagesPerConnection;

    /// <summary>See <see cref="LimitsOptions.MaxQueuedBytesPerConnection"/>.</summary>
    public long MaxQueuedBytes => limits.Current.MaxQueuedBytesPerConnection;

    /// <summary>How long the peer has to answer a close frame before the transport is aborted.</summary>
    public TimeSpan CloseTimeout => limits.Current.CloseTimeout;

    /// <summary>What all outbound queues of the node may hold together (<see cref="LimitsOptions.MaxQueuedBytesPerNode"/>).</summary>
    public OutboundBudget Outbound { get; } = outbound;

    public TimeProvider Time { get; } = time;

    /// <summary>
    /// Milliseconds on the clock's monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>): what idle, keep-alive,
    /// slow-client and age limits are measured in. Not the wall clock, so a step of the system clock (NTP, a resumed
    /// VM, an operator) neither closes every connection at once nor keeps them past their limits.
    /// </summary>
    public long ClockMs() => ClockMs(Time);

    /// <inheritdoc cref="ClockMs()"/>
    public static long ClockMs(TimeProvider time)
    {
        // In whole numbers: GetElapsedTime scales through a double, which for large timestamps (a fake clock's are
        // ticks since year 1) lands just below a whole millisecond and truncates to the one before.
        var timestamp = time.GetTimestamp();
        var frequency = time.TimestampFrequency;
        return (timestamp / frequency * 1000) + (timestamp % frequency * 1000 / frequency);
    }

    public SwitchboardMetrics Metrics { get; } = metrics;
}
