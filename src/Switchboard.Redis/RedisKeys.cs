using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// Every key and channel Switchboard uses in Redis, under one prefix (<c>Switchboard:Registry:Redis:KeyPrefix</c>, default
/// <c>switchboard</c>). Layout, with <c>P</c> the prefix:
/// <list type="bullet">
/// <item><c>P:connections</c> — sorted set of every connection id, all scores 0, so <c>ZRANGEBYLEX</c> pages by id.</item>
/// <item><c>P:connection:{id}</c> — hash: <c>node</c>, <c>connectedAt</c>, <c>lastActiveAt</c> (Unix ms), <c>sourceIp</c>, <c>userAgent</c>.</item>
/// <item><c>P:node:{node}:connections</c> — set of the ids a node holds, so a dead node's entries can be purged.</item>
/// <item><c>P:nodes</c> — set of nodes that hold or held entries (what the sweep looks at).</item>
/// <item><c>P:lost</c> — list, the outbox of owed <c>$disconnect</c> events: one JSON entry (<c>id</c>,
/// <c>connectedAt</c>, <c>sourceIp</c>, <c>userAgent</c>, <c>lostAt</c>) per connection the sweep purged.</item>
/// <item><c>P:node:{node}:lost</c> — list of the outbox entries a node has taken and not yet delivered; given back
/// to <c>P:lost</c> when the node is found dead.</item>
/// <item><c>P:alive:{node}</c> — a node's liveness key, renewed every heartbeat, expiring after the node timeout.</item>
/// <item>Channels <c>P:inbox:{node}</c> (posts, deletes and replies for one node) and <c>P:broadcast</c>.</item>
/// </list>
/// Scripts build the per-node and per-connection names from the prefix themselves, so this layout is for one Redis
/// server (or a primary with replicas / Sentinel), not Redis Cluster.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    /// <summary>The prefix with its trailing separator, as the Lua scripts receive it.</summary>
    public string Prefix { get; } = prefix + ":";

    public RedisKey Connections => Prefix + "connections";

    public RedisKey Nodes => Prefix + "nodes";

    public RedisChannel Broadcast => RedisChannel.Literal(Prefix + "broadcast");

    public RedisKey Connection(string connectionId) => Prefix + "connection:" + connectionId;

    public RedisKey NodeConnections(string nodeId) => Prefix + "node:" + nodeId + ":connections";

    public RedisKey Lost => Prefix + "lost";

    public RedisKey NodeLost(string nodeId) => Prefix + "node:" + nodeId + ":lost";

    public RedisKey Alive(string nodeId) => Prefix + "alive:" + nodeId;

    public RedisChannel Inbox(string nodeId) => RedisChannel.Literal(Prefix + "inbox:" + nodeId);
}
