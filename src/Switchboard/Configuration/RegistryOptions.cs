namespace Switchboard.Configuration;

/// <summary>Where the connection registry lives.</summary>
public sealed class RegistryOptions
{
    /// <summary>
    /// <c>sqlite</c> (default: an embedded file, one node), <c>memory</c> (nothing persisted), <c>redis</c> (many nodes
    /// sharing one Redis as registry and backplane; needs <see cref="Configuration"/>).
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For <c>sqlite</c>: the database file. Relative paths are relative to the working directory.</summary>
    public string Path { get; set; } = "switchboard.db";

    /// <summary>
    /// For <c>redis</c>: how often the activity the gateway reports (once a second per active connection) is written,
    /// in one batch per node. SQLite writes it with its next commit instead.
    /// </summary>
    public TimeSpan TouchFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>For <c>redis</c>: a StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>redis1:6379,password=…,ssl=true</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// For <c>redis</c>: the prefix of every key and channel, so that several clusters can share one Redis.
    /// Nodes of one cluster must use the same prefix.
    /// </summary>
    public string KeyPrefix { get; set; } = "switchboard";

    /// <summary>For <c>redis</c>: how often each node renews its liveness key (and sweeps for dead nodes).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// For <c>redis</c>: a node whose heartbeat is this old is dead. Its connections answer 410 at once and are purged
    /// from the registry by the next sweep of any node (within one <see cref="HeartbeatInterval"/>). At least twice
    /// <see cref="HeartbeatInterval"/>.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// For <c>redis</c>: how long a node waits for another node to answer a post, a delete or a broadcast it forwarded.
    /// A post or delete without an answer in time fails with 503 (its outcome is unknown).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
