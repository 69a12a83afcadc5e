using Switchboard.Configuration;
using Switchboard.Diagnostics;

namespace Switchboard.Connections;

/// <summary>
/// What every connection of the node shares: its outbound limits and budget, the clock and the metrics. One instance per node,
/// referenced by each <see cref="GatewayConnection"/>, so that a connection's size does not grow with every limit.
/// </summary>
internal sealed class ConnectionSettings(LimitsOptions limits, TimeProvider time, SwitchboardMetrics metrics, OutboundBudget outbound)
{
    /// <summary>Settings with the outbound budget <paramref name="limits"/> derive from the memory the GC may use.</summary>
    public ConnectionSettings(LimitsOptions limits, TimeProvider time, SwitchboardMetrics metrics)
        : this(limits, time, metrics, new OutboundBudget(OutboundBudget.BytesFor(limits, MemoryLimit.AvailableBytes)))
    {
    }

    /// <summary>See <see cref="LimitsOptions.MaxQueuedMessagesPerConnection"/>.</summary>
    public int MaxQueuedMessages { get; } = limits.MaxQueuedMessagesPerConnection;

    /// <summary>See <see cref="LimitsOptions.MaxQueuedBytesPerConnection"/>.</summary>
    public long MaxQueuedBytes { get; } = limits.MaxQueuedBytesPerConnection;

    /// <summary>How long the peer has to answer a close frame before the transport is aborted.</summary>
    public TimeSpan CloseTimeout { get; } = limits.CloseTimeout;

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
    public static long ClockMs(TimeProvider time) => time.GetElapsedTime(0, time.GetTimestamp()).Ticks / TimeSpan.TicksPerMillisecond;

    public SwitchboardMetrics Metrics { get; } = metrics;
}
