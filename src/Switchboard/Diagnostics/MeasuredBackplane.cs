using System.Diagnostics;
using Switchboard.Backplane;
using Switchboard.Connections;
using Switchboard.Registry;

namespace Switchboard.Diagnostics;

/// <summary>
/// The backplane the gateway calls: the configured one, with each call's time and outcome recorded as
/// <c>switchboard.backplane.duration</c>. A call that throws <see cref="RegistryUnavailableException"/> counts as
/// <c>error</c>; an answer (Gone and Unknown included) as <c>ok</c>. Adds no behaviour of its own.
/// </summary>
internal sealed class MeasuredBackplane(IBackplane inner, SwitchboardMetrics metrics) : IBackplane
{
    public async ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var status = await inner.SendAsync(nodeId, connectionId, message, cancellationToken).ConfigureAwait(false);
            metrics.BackplaneCompleted("send", SwitchboardMetrics.Ok, started);
            return status;
        }
        catch (RegistryUnavailableException)
        {
            metrics.BackplaneCompleted("send", SwitchboardMetrics.Error, started);
            throw;
        }
    }

    public async ValueTask<DisconnectStatus> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var status = await inner.DisconnectAsync(nodeId, connectionId, cancellationToken).ConfigureAwait(false);
            metrics.BackplaneCompleted("disconnect", SwitchboardMetrics.Ok, started);
            return status;
        }
        catch (RegistryUnavailableException)
        {
            metrics.BackplaneCompleted("disconnect", SwitchboardMetrics.Error, started);
            throw;
        }
    }

    public async ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var recipients = await inner.BroadcastToOtherNodesAsync(message, cancellationToken).ConfigureAwait(false);
            metrics.BackplaneCompleted("broadcast", SwitchboardMetrics.Ok, started);
            return recipients;
        }
        catch (RegistryUnavailableException)
        {
            metrics.BackplaneCompleted("broadcast", SwitchboardMetrics.Error, started);
            throw;
        }
    }
}
