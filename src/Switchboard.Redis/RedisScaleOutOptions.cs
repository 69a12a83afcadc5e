using StackExchange.Redis;
using Switchboard.Configuration;

namespace Switchboard.Redis;

/// <summary>The Redis registry and backplane's settings: <c>Switchboard:Registry:Redis</c>.</summary>
public sealed class RedisScaleOutOptions
{
    /// <summary>The part of the <c>Switchboard</c> section these settings are bound from, and the keys that moved into it.</summary>
    public static SwitchboardConfigurationSection Section { get; } = new("Registry:Redis", typeof(RedisScaleOutOptions))
    {
        MovedKeys = new Dictionary<string, string>
        {
            ["Registry:Configuration"] = "Registry:Redis:Configuration",
            ["Registry:KeyPrefix"] = "Registry:Redis:KeyPrefix",
            ["Registry:HeartbeatInterval"] = "Registry:Redis:HeartbeatInterval",
            ["Registry:NodeTimeout"] = "Registry:Redis:NodeTimeout",
            ["Registry:RequestTimeout"] = "Registry:Redis:RequestTimeout",
            // Activity is written once per sweep of the connection lifetime monitor, for every registry.
            ["Registry:TouchFlushInterval"] = "",
        },
    };

    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>redis1:6379,password=…,ssl=true</c>.
    /// Required unless <see cref="ConnectionFactory"/> is set.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Creates the node's Redis connection instead of <see cref="Configuration"/> (code only, not configuration): for
    /// a multiplexer configured in code, with a certificate callback or a shared one. It should set
    /// <c>AbortOnConnectFail = false</c> as the gateway does, so the node rides out Redis restarts; the writer receives
    /// StackExchange.Redis's connection log.
    /// </summary>
    public Func<TextWriter, Task<IConnectionMultiplexer>>? ConnectionFactory { get; set; }

    /// <summary>
    /// The prefix of every key and channel, so that several clusters can share one Redis. Nodes of one cluster must use
    /// the same prefix.
    /// </summary>
    public string KeyPrefix { get; set; } = "switchboard";

    /// <summary>How often each node renews its liveness key (and sweeps for dead nodes).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A node whose heartbeat is this old is dead. Its connections answer 410 at once and are purged from the registry
    /// by the next sweep of any node (within one <see cref="HeartbeatInterval"/>). At least twice
    /// <see cref="HeartbeatInterval"/>.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a node waits for another node to answer a post, a delete or a broadcast it forwarded. A post or delete
    /// without an answer in time fails with 503 (its outcome is unknown).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
