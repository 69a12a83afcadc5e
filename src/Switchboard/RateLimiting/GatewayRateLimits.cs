using System.Collections.Frozen;
using System.Net;
using System.Threading.RateLimiting;
using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.RateLimiting;

/// <summary>
/// The gateway's rate limits (<c>Switchboard:RateLimits</c>): <see cref="TokenBucket"/>s (<c>System.Threading.RateLimiting</c>
/// limiters) that are refilled once a second by one timer on the injected <see cref="TimeProvider"/> (so a fake clock
/// drives them in tests), never by timers of their own. Each limit is null, and costs nothing, while it is off.
/// </summary>
/// <remarks>
/// Where each is checked: handshakes by <see cref="Security.HandshakeGate"/> before anything else runs (both handshake
/// paths), messages by the read loop before the message is dispatched, management calls by an access check, integration
/// calls before the route's integration is invoked.
/// </remarks>
internal sealed class GatewayRateLimits : IDisposable
{
    /// <summary>How often every bucket gets its <see cref="TokenBucketOptions.PerSecond"/> tokens.</summary>
    public static readonly TimeSpan ReplenishmentPeriod = TimeSpan.FromSeconds(1);

    private readonly TokenBucket? _connections;
    private readonly AddressRateLimiter? _connectionsPerAddress;
    private readonly TokenBucket? _management;
    private readonly TokenBucketOptions _messagesPerConnection;
    private readonly FrozenDictionary<string, TokenBucket> _routes;
    private readonly LocalConnections _local;
    private readonly ITimer? _timer;

    public GatewayRateLimits(SwitchboardOptions options, LocalConnections local, TimeProvider time)
    {
        var limits = options.RateLimits;
        _local = local;
        _connections = NewBucketIfOn(limits.Connections);
        _connectionsPerAddress = limits.ConnectionsPerAddress.IsOn ? new AddressRateLimiter(limits.ConnectionsPerAddress, limits.MaxTrackedAddresses) : null;
        _management = NewBucketIfOn(limits.ManagementRequests);
        _messagesPerConnection = limits.MessagesPerConnection;
        _routes = limits.IntegrationCallsPerRoute.IsOn
            ? options.Routes.Where(route => route.RouteKey != Routing.RouteTable.DisconnectKey)
                .Select(route => route.RouteKey).Distinct(StringComparer.Ordinal)
                .ToFrozenDictionary(key => key, _ => NewBucket(limits.IntegrationCallsPerRoute), StringComparer.Ordinal)
            : FrozenDictionary<string, TokenBucket>.Empty;
        if (_connections is not null || _connectionsPerAddress is not null || _management is not null || _messagesPerConnection.IsOn || _routes.Count > 0)
        {
            _timer = time.CreateTimer(static state => ((GatewayRateLimits)state!).Replenish(), this, ReplenishmentPeriod, ReplenishmentPeriod);
        }
    }

    /// <summary>Addresses the per-address connection limit remembers now.</summary>
    internal int TrackedAddresses => _connectionsPerAddress?.Count ?? 0;

    /// <summary>Takes a new connection's token from its address's bucket, then from the node's.</summary>
    /// <param name="address">The client (behind trusted proxies, the real client); null when unknown.</param>
    public ConnectionRate TryAcceptConnection(IPAddress? address)
    {
        // The address first: a client over its own limit must not use up everyone's.
        if (_connectionsPerAddress is not null && address is not null && !_connectionsPerAddress.TryAcquire(address, out var tableFull))
        {
            return tableFull ? ConnectionRate.AddressTableFull : ConnectionRate.AddressLimited;
        }

        return TryTake(_connections) ? ConnectionRate.Accepted : ConnectionRate.NodeLimited;
    }

    /// <summary>False when the node's management calls are over their limit.</summary>
    public bool TryAcceptManagementCall() => TryTake(_management);

    /// <summary>False when the route's integration calls are over their limit (never for <c>$disconnect</c>).</summary>
    public bool TryCallRoute(string routeKey) => !_routes.TryGetValue(routeKey, out var limiter) || TryTake(limiter);

    /// <summary>A new connection's message bucket; null while the limit is off.</summary>
    public TokenBucket? NewMessageLimiter() => NewBucketIfOn(_messagesPerConnection);

    /// <summary>One second's tokens for every bucket; the timer's work, called directly by tests.</summary>
    internal void Replenish()
    {
        _connections?.TryReplenish();
        _connectionsPerAddress?.Replenish();
        _management?.TryReplenish();
        foreach (var route in _routes.Values)
        {
            route.TryReplenish();
        }

        if (_messagesPerConnection.IsOn)
        {
            foreach (var connection in _local.All)
            {
                connection.MessageRate?.TryReplenish();
            }
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _connections?.Dispose();
        _connectionsPerAddress?.Dispose();
        _management?.Dispose();
        foreach (var route in _routes.Values)
        {
            route.Dispose();
        }
    }

    /// <summary>Takes one token; true when there was one (or there is no limit).</summary>
    internal static bool TryTake(RateLimiter? limiter)
    {
        if (limiter is null)
        {
            return true;
        }

        using var lease = limiter.AttemptAcquire();
        return lease.IsAcquired;
    }

    /// <summary>A full bucket that gets <see cref="TokenBucketOptions.PerSecond"/> tokens at every replenishment.</summary>
    internal static TokenBucket NewBucket(TokenBucketOptions options) => new(options.BucketSize, options.PerSecond);

    private static TokenBucket? NewBucketIfOn(TokenBucketOptions options) => options.IsOn ? NewBucket(options) : null;
}
