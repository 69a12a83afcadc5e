using Switchboard.Connections;

namespace Switchboard.Backplane;

/// <summary>
/// The backplane of a single node: there are no other nodes, so an operation addressed to this node is carried out
/// here and one addressed to any other node finds its connection gone.
/// </summary>
public sealed class LocalBackplane : IBackplane
{
    private readonly LocalDelivery _delivery;
    private readonly string _nodeId;

    /// <summary>Creates the backplane of the node <paramref name="node"/>, delivering through <paramref name="delivery"/>.</summary>
    public LocalBackplane(LocalDelivery delivery, NodeIdentity node)
    {
        _delivery = delivery;
        _nodeId = node.Id;
    }

    /// <inheritdoc />
    public ValueTask<SendStatus> SendAsync(string nodeId, string connectionId, OutboundMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(nodeId == _nodeId ? _delivery.Send(connectionId, message) : SendStatus.Gone);

    /// <inheritdoc />
    public ValueTask<DisconnectStatus> DisconnectAsync(string nodeId, string connectionId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(nodeId == _nodeId ? _delivery.Disconnect(connectionId) : DisconnectStatus.Gone);

    /// <inheritdoc />
    public ValueTask<long> BroadcastToOtherNodesAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(0L);
}
