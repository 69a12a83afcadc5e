using Switchboard.Connections;

namespace Switchboard.Backplane;

/// <summary>
/// Carries management operations to the node that holds a connection. It stores nothing: the registry says
/// which node holds which connection, the backplane only gets the operation there, where the node carries it out
/// with its <see cref="LocalDelivery"/> (which an implementation receives through its constructor).
/// </summary>
/// <remarks>
/// Contract (a conformance suite runs against every implementation):
/// <list type="bullet">
/// <item>Order: operations one node issues for one connection, one call after the other (without waiting for the
/// previous answer), reach the connection's queue in the order issued.</item>
/// <item>A node that does not hold the connection open (any more) answers <see cref="SendStatus.Gone"/> /
/// <see cref="DisconnectStatus.Gone"/>; so does a node id that no node has (a dead node). A node may be addressed by
/// its own id: the operation is then carried out on this node.</item>
/// <item>At most once: nothing is stored or retried, an operation is carried out once or not at all.</item>
/// <item>When the node addressed is alive but does not answer in time, the outcome is unknown:
/// <see cref="SendStatus.Unknown"/> / <see cref="DisconnectStatus.Unknown"/> (503 on the management API), never a
/// guess. A node that gets to an operation after its sender has given up must drop it.</item>
/// <item>When the transport itself cannot be reached, members throw
/// <see cref="Registry.RegistryUnavailableException"/> (503).</item>
/// <item>All members are thread-safe.</item>
/// </list>
/// The single-node <see cref="LocalBackplane"/> knows no other nodes.
/// </remarks>
public interface IBackplane
{
    /// <summary>Queues <paramref name="message"/> to a connection held by <paramref name="nodeId"/>.</summary>
    ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>Closes a connection held by <paramref name="nodeId"/> with 1000, as <see cref="LocalDelivery.Disconnect"/> does.</summary>
    ValueTask<DisconnectStatus> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Queues <paramref name="message"/> to every connection on every other node (not this one's). Returns how many it
    /// was queued to, counting the nodes that answer in time: exact normally, a lower bound when a node is slow.
    /// </summary>
    ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken);
}
