using Switchboard.Connections;
using Switchboard.Protocol;

namespace Switchboard.Backplane;

/// <summary>
/// Delivery to the connections whose sockets this node holds: what <see cref="Management.ConnectionManager"/> does
/// for a connection held here, and what a backplane carries out on the receiving node for a post, delete or
/// broadcast that another node forwarded. A backplane receives it through its constructor (it is registered by
/// <c>AddSwitchboard</c>).
/// </summary>
/// <remarks>
/// Every member is thread-safe, never blocks and never throws for an unknown id. Messages that one caller hands to
/// one connection, one call after the other, enter that connection's queue in that order; a backplane that handles
/// its incoming requests one at a time therefore keeps the order in which the sending node accepted them.
/// </remarks>
public sealed class LocalDelivery
{
    /// <summary>The close reason API Gateway reports in <c>$disconnect</c> after a DeleteConnection.</summary>
    private static readonly ServerClose DeleteConnectionClose = new(CloseCodes.NormalClosure, "", "Connection Closed Normally");

    private readonly LocalConnections _connections;

    internal LocalDelivery(LocalConnections connections) => _connections = connections;

    /// <summary>
    /// Queues <paramref name="message"/> to a connection this node holds and wakes its writer.
    /// <see cref="SendStatus.Gone"/> when this node does not hold it open; <see cref="SendStatus.QueueFull"/> when
    /// its client is not reading fast enough. Never <see cref="SendStatus.Unknown"/>.
    /// </summary>
    public SendStatus Send(string connectionId, OutboundMessage message) =>
        _connections.Find(connectionId) is { } connection ? connection.TrySend(message, writeNow: true) : SendStatus.Gone;

    /// <summary>
    /// Begins closing a connection this node holds with 1000 (<c>$disconnect</c> follows with "Connection Closed
    /// Normally", as on API Gateway). <see cref="DisconnectStatus.Gone"/> when this node does not hold it open (also
    /// when it is closing already). Never <see cref="DisconnectStatus.Unknown"/>.
    /// </summary>
    public DisconnectStatus Disconnect(string connectionId) =>
        _connections.Find(connectionId) is { } connection && connection.TryBeginClose(DeleteConnectionClose)
            ? DisconnectStatus.Closing
            : DisconnectStatus.Gone;

    /// <summary>
    /// Queues <paramref name="message"/> to every connection this node holds, without waiting for any of them: a
    /// client whose queue is full is skipped. Returns how many it was queued to.
    /// </summary>
    public long Broadcast(OutboundMessage message)
    {
        // Encode the frame once here rather than racing to encode it in many writers.
        _ = message.Frame;
        long recipients = 0;
        foreach (var connection in _connections.All)
        {
            if (connection.TrySend(message) == SendStatus.Queued)
            {
                recipients++;
            }
        }

        return recipients;
    }
}
