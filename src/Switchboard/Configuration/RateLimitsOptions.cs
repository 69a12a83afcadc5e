namespace Switchboard.Configuration;

/// <summary>
/// How fast clients and callers may use the gateway. Every limit is off by default: the right numbers depend on the
/// deployment (a NAT or a proxy without <see cref="SecurityOptions.TrustedProxies"/> puts many users behind one
/// address), and the connection cap (<see cref="LimitsOptions.MaxConnections"/>) already bounds what a node holds.
/// API Gateway's own quotas are given for each as a starting point (docs/security.md#rate-limits).
/// </summary>
public sealed class RateLimitsOptions
{
    /// <summary>New WebSocket connections per second on this node, from all clients (API Gateway: 500 per account and region). Over it: 429.</summary>
    public TokenBucketOptions Connections { get; set; } = new();

    /// <summary>New WebSocket connections per second from one client address. Over it: 429.</summary>
    public TokenBucketOptions ConnectionsPerAddress { get; set; } = new();

    /// <summary>
    /// Client addresses whose connection rate is remembered at once (<see cref="ConnectionsPerAddress"/>). An address
    /// is forgotten once its bucket is full again; while this many are remembered, handshakes from other addresses
    /// answer 429, so that clients rotating addresses cannot make the table grow without bound.
    /// </summary>
    public int MaxTrackedAddresses { get; set; } = 100_000;

    /// <summary>
    /// Messages per second one connection may send. Over it the message is dropped, its integration is not called and
    /// the client gets the error frame <c>{"message": "Too Many Requests", …}</c>; the connection stays open.
    /// </summary>
    public TokenBucketOptions MessagesPerConnection { get; set; } = new();

    /// <summary>Management calls per second (<c>@connections</c>, <c>@broadcast</c>, <c>@stats</c>) on this node, from all callers. Over it: 429 <c>LimitExceededException</c>.</summary>
    public TokenBucketOptions ManagementRequests { get; set; } = new();

    /// <summary>
    /// Integration calls per second for each route, counted per route (API Gateway's route throttling). Over it: 429 on
    /// <c>$connect</c>; for a message, the error frame <c>{"message": "Too Many Requests", …}</c> and no call.
    /// <c>$disconnect</c> is never throttled: it is the backend's only notice that a connection is gone.
    /// </summary>
    public TokenBucketOptions IntegrationCallsPerRoute { get; set; } = new();
}
