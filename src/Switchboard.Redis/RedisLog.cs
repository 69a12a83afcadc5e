using Microsoft.Extensions.Logging;

namespace Switchboard.Redis;

/// <summary>Every log line of the Redis registry and backplane, with stable event ids (200–299, and 89).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(200, LogLevel.Information, "Node {NodeId} connected to Redis {Endpoints} (key prefix '{Prefix}')")]
    public static partial void Connected(ILogger logger, string nodeId, string endpoints, string prefix);

    [LoggerMessage(201, LogLevel.Warning, "Redis connection lost ({FailureType}, {ConnectionType} to {Endpoint}): degraded. Local connections stay open; new connections are refused with 503 until Redis is back")]
    public static partial void ConnectionLost(ILogger logger, string failureType, string connectionType, string endpoint, Exception? exception);

    [LoggerMessage(202, LogLevel.Information, "Redis connection restored ({ConnectionType} to {Endpoint}) after {Seconds:0.0} s")]
    public static partial void ConnectionRestored(ILogger logger, string connectionType, string endpoint, double seconds);

    [LoggerMessage(203, LogLevel.Warning, "Heartbeat of node {NodeId} failed; other nodes declare it dead {NodeTimeout} after the last one that succeeded")]
    public static partial void HeartbeatFailed(ILogger logger, string nodeId, TimeSpan nodeTimeout, Exception exception);

    [LoggerMessage(204, LogLevel.Information, "Heartbeat of node {NodeId} succeeds again")]
    public static partial void HeartbeatRecovered(ILogger logger, string nodeId);

    [LoggerMessage(205, LogLevel.Information, "Node {NodeId} re-registered its {Count} local connection(s) in Redis (after a reconnect, a Redis restart, or being declared dead)")]
    public static partial void ReRegistered(ILogger logger, string nodeId, int count);

    [LoggerMessage(206, LogLevel.Information, "Purged {Count} connection(s) of dead node(s) from the registry; they answer 410")]
    public static partial void PurgedDeadNodes(ILogger logger, long count);

    [LoggerMessage(207, LogLevel.Warning, "Sweep for dead nodes failed")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(209, LogLevel.Warning, "Cleaning up node {NodeId} in Redis at shutdown failed; other nodes purge its entries after the node timeout")]
    public static partial void StopCleanupFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(210, LogLevel.Warning, "Node {NodeId} did not answer a forwarded {Operation} within {Timeout}")]
    public static partial void RequestTimedOut(ILogger logger, string nodeId, string operation, TimeSpan timeout);

    [LoggerMessage(211, LogLevel.Information, "Broadcast {CorrelationId}: {Answered} of {Expected} other node(s) answered within {Timeout}; the recipient count is a lower bound")]
    public static partial void BroadcastPartial(ILogger logger, long correlationId, int answered, int expected, TimeSpan timeout);

    [LoggerMessage(212, LogLevel.Warning, "Could not handle a backplane message on {Channel}")]
    public static partial void BackplaneMessageFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(213, LogLevel.Debug, "Could not answer node {NodeId} over the backplane")]
    public static partial void ReplyFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(214, LogLevel.Warning, "Redis removals of {Count} connection(s) that closed while Redis was unreachable were retried")]
    public static partial void PendingRemovalsRetried(ILogger logger, int count);

    [LoggerMessage(89, LogLevel.Information, "Node {NodeId} reconnected to Redis or found its liveness key gone: it sweeps for dead nodes again in {NodeTimeout}, once the other nodes had the time to renew theirs")]
    public static partial void SweepDeferred(ILogger logger, string nodeId, TimeSpan nodeTimeout);

    [LoggerMessage(215, LogLevel.Warning, "Dropped a forwarded {Operation} from node {NodeId} that arrived after its deadline (this node was stalled, or the clocks disagree); the sender answered 503")]
    public static partial void StaleRequestDropped(ILogger logger, string operation, string nodeId);
}
