namespace Switchboard.Registry;

/// <summary>
/// The connection registry: where the cluster-wide facts about open connections live (the counterpart of
/// the DynamoDB table in the classic API Gateway pattern, but kept by the gateway itself).
/// </summary>
/// <remarks>
/// Contract (a conformance suite runs against every implementation):
/// <list type="bullet">
/// <item><see cref="AddAsync"/> and <see cref="RemoveAsync"/> are durable in the registry's store when their task
/// completes; the gateway awaits <c>AddAsync</c> before any route of the connection runs, and calls
/// <c>RemoveAsync</c> for a closed connection only after its <c>$disconnect</c> has run, so an entry outlives its
/// socket until the <c>$disconnect</c> it is owed has been sent.</item>
/// <item>Activity is coalesced once, by the node's lifetime monitor: once per sweep (a second) it hands
/// <see cref="RecordActivityAsync"/> one batch with every connection that had activity since the last batch, one
/// batch at a time. A registry writes the batch as it gets it (no buffering of its own); a batch that failed is
/// collected again by the next sweep.</item>
/// <item>No ghosts: entries of a node that ended without removing them (crash, SIGKILL) are purged — by a
/// single-node registry when it starts, by a clustered one when the node's heartbeat expires. A registry that keeps a
/// store also implements <see cref="ILostConnectionOutbox"/>, and puts each purged entry there in the same write, so
/// that the gateway sends its <c>$disconnect</c>.</item>
/// <item>All members are thread-safe. Failures of the store surface as <see cref="RegistryUnavailableException"/>.</item>
/// </list>
/// </remarks>
public interface IConnectionRegistry
{
    /// <summary>Records a connection; durable when the task completes.</summary>
    ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken);

    /// <summary>Forgets a connection; durable when the task completes. Removing an unknown id is not an error.</summary>
    ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes when connections were last active; durable when the task completes. Entries of connections that are
    /// not registered (any more) are ignored, and <see cref="ConnectionRecord.LastActiveAt"/> only moves forward.
    /// </summary>
    ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken);

    /// <summary>Looks a connection up; null when it is not registered.</summary>
    ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>Lists connections ordered by id, <paramref name="limit"/> at a time.</summary>
    ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken);
}
