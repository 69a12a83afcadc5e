using System.Diagnostics;
using Switchboard.Backplane;
using Switchboard.Connections;

namespace Switchboard.Diagnostics;

/// <summary>
/// The backplane the gateway calls: the configured one, with each call's time and outcome recorded as
/// <c>switchboard.backplane.duration</c> (<see cref="MeasuredCall"/>; an answer, Gone and Unknown included, is
/// <c>ok</c>). Adds no behaviour of its own.
/// </summary>
internal sealed class MeasuredBackplane(IBackplane inner, SwitchboardMetrics metrics) : IBackplane
{
    private readonly MeasuredCall.Recorder _record = metrics.BackplaneCompleted;

    public ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.SendAsync(nodeId, connectionId, message, cancellationToken), "send", _record);

    public ValueTask<DisconnectStatus> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.DisconnectAsync(nodeId, connectionId, cancellationToken), "disconnect", _record);

    public ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.BroadcastToOtherNodesAsync(message, cancellationToken), "broadcast", _record);
}
