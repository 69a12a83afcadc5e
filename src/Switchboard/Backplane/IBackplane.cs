using Switchboard.Connections;

namespace Switchboard.Backplane;

/// <summary>
/// Carries management operations to the node that holds a connection. It stores nothing: the registry says
/// which node holds which connection, the backplane only gets the message there.
/// </summary>
/// <remarks>
/// Contract: delivery to one connection through one node keeps the order in which that node accepted the
/// messages; a node that does not hold the connection (any more) answers <see cref="SendStatus.Gone"/>;
/// delivery is at most once. The single-node <see cref="LocalBackplane"/> knows no other nodes.
/// </remarks>
public interface IBackplane
{
    /// <summary>Sends to a connection held by <paramref name="nodeId"/>.</summary>
    ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>Closes a connection held by <paramref name="nodeId"/>; false when that node does not hold it.</summary>
    ValueTask<bool> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken);

    /// <summary>Sends to every connection on every other node; returns how many received it, where known.</summary>
    ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken);
}
