using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Backplane;
using Switchboard.Diagnostics;
using Switchboard.Registry;

namespace Switchboard.Management;

/// <summary>
/// The management API as a transport-neutral service: the <c>@connections</c> HTTP endpoints, the CLI (through
/// them) and in-process handlers all use it. Connections on this node are served from memory; others through
/// the registry and the backplane.
/// </summary>
public sealed class ConnectionManager
{
    private readonly LocalConnections _local;
    private readonly LocalDelivery _delivery;
    private readonly IConnectionRegistry _registry;
    private readonly IBackplane _backplane;
    private readonly NodeIdentity _node;
    private readonly SwitchboardMetrics _metrics;
    private readonly LimitsSource _limits;

    internal ConnectionManager(
        LocalConnections local,
        LocalDelivery delivery,
        IConnectionRegistry registry,
        IBackplane backplane,
        NodeIdentity node,
        SwitchboardMetrics metrics,
        LimitsSource limits)
    {
        _local = local;
        _delivery = delivery;
        _registry = registry;
        _backplane = backplane;
        _node = node;
        _metrics = metrics;
        _limits = limits;
    }

    /// <summary>The largest payload <see cref="PostAsync"/> and <see cref="BroadcastAsync"/> accept, in bytes.</summary>
    public int MaxPostBytes => _limits.Current.MaxPostBytes;

    /// <summary>
    /// PostToConnection: queues <paramref name="data"/> for the connection as one text frame (binary when it is not
    /// valid UTF-8). <see cref="PostResult.Delivered"/> means it is in the outbound queue of the node that holds the socket;
    /// <see cref="PostResult.Unknown"/> that that node did not answer in time.
    /// </summary>
    public async ValueTask<PostResult> PostAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length > MaxPostBytes)
        {
            return PostResult.PayloadTooLarge;
        }

        var message = OutboundMessage.FromBytes(data);
        // One lookup on this node; only a connection this node does not hold open costs a registry read.
        var status = _delivery.Send(connectionId, message);
        if (status == SendStatus.Gone && await FindRemoteNodeAsync(connectionId, cancellationToken).ConfigureAwait(false) is { } nodeId)
        {
            status = await _backplane.SendAsync(nodeId, connectionId, message, cancellationToken).ConfigureAwait(false);
        }

        return status switch
        {
            SendStatus.Queued => PostResult.Delivered,
            SendStatus.QueueFull => PostResult.LimitExceeded,
            SendStatus.Unknown => PostResult.Unknown,
            _ => PostResult.Gone,
        };
    }

    /// <summary>GetConnection: the connection's facts, or null when it is not open.</summary>
    public async ValueTask<ConnectionDetails?> GetAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        if (_local.Find(connectionId) is { } connection)
        {
            return connection.IsClosing ? null : Describe(connection);
        }

        var record = await _registry.GetAsync(connectionId, cancellationToken).ConfigureAwait(false);
        return record is null || record.NodeId == _node.Id ? null : Describe(record);
    }

    /// <summary>
    /// DeleteConnection: closes the connection with 1000 and runs <c>$disconnect</c> ("Connection Closed Normally",
    /// as on API Gateway). <see cref="DisconnectStatus.Gone"/> when it is not open; <see cref="DisconnectStatus.Unknown"/>
    /// when the node that holds it did not answer in time. When it returns <see cref="DisconnectStatus.Closing"/> the
    /// connection is already out of the registry, so every node answers 410 for it at once rather than only after the
    /// close handshake has ended.
    /// </summary>
    public async ValueTask<DisconnectStatus> DisconnectAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        var status = _delivery.Disconnect(connectionId);
        if (status == DisconnectStatus.Gone && await FindRemoteNodeAsync(connectionId, cancellationToken).ConfigureAwait(false) is { } nodeId)
        {
            status = await _backplane.DisconnectAsync(nodeId, connectionId, cancellationToken).ConfigureAwait(false);
        }

        if (status == DisconnectStatus.Closing)
        {
            // The owning node removes it again when the socket has closed; removal is idempotent.
            await _registry.RemoveAsync(connectionId, cancellationToken).ConfigureAwait(false);
        }

        return status;
    }

    /// <summary>Lists open connections across the cluster, ordered by id. A Switchboard extension.</summary>
    public async ValueTask<(IReadOnlyList<ConnectionDetails> Items, string? NextToken)> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken = default)
    {
        var page = await _registry.ListAsync(limit, nextToken, cancellationToken).ConfigureAwait(false);

        // A connection of this node that is closing stays in the registry until its $disconnect has run; it is not open.
        var items = page.Items
            .Select(record => _local.Find(record.ConnectionId) is { } connection ? (connection.IsClosing ? null : Describe(connection)) : Describe(record))
            .OfType<ConnectionDetails>()
            .ToList();
        return (items, page.NextToken);
    }

    /// <summary>
    /// Sends one message to every open connection of the cluster: encoded once, queued to each. Returns how many
    /// connections it was queued to (clients whose queue is full are skipped). A Switchboard extension.
    /// </summary>
    public async ValueTask<long> BroadcastAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var message = OutboundMessage.FromBytes(data);
        var recipients = _delivery.Broadcast(message);
        recipients += await _backplane.BroadcastToOtherNodesAsync(message, cancellationToken).ConfigureAwait(false);
        return recipients;
    }

    /// <summary>Counters of this node: open connections, messages in and out since start.</summary>
    public GatewayStats GetStats() => new(_metrics.OpenConnections, _metrics.MessagesIn, _metrics.MessagesOut);

    private async ValueTask<string?> FindRemoteNodeAsync(string connectionId, CancellationToken cancellationToken)
    {
        var record = await _registry.GetAsync(connectionId, cancellationToken).ConfigureAwait(false);
        return record is not null && record.NodeId != _node.Id ? record.NodeId : null;
    }

    private static ConnectionDetails Describe(GatewayConnection connection) =>
        new(connection.Id, connection.ConnectedAt, connection.LastActiveAt, connection.SourceIp, connection.UserAgent);

    private static ConnectionDetails Describe(ConnectionRecord record) =>
        new(record.ConnectionId, record.ConnectedAt, record.LastActiveAt, record.SourceIp, record.UserAgent);
}
