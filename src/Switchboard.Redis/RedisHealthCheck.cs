using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Redis;

/// <summary>
/// Healthy while Redis is connected and this node's heartbeat is current; Degraded (not Unhealthy: the node still
/// serves the connections it holds) while Redis is unreachable or the heartbeat is older than the node timeout, with a
/// description of what works and what does not.
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection redis, RedisConnectionRegistry registry, RedisNodeLiveness liveness, NodeIdentity node, IOptions<RedisScaleOutOptions> options, TimeProvider time) : IHealthCheck
{
    private readonly RedisScaleOutOptions _options = options.Value;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>
        {
            ["node"] = node.Id,
            ["localConnections"] = registry.HeldCount,
        };
        var heartbeatAge = liveness.LastHeartbeat is { } last ? now - last : (TimeSpan?)null;
        if (heartbeatAge is { } age)
        {
            data["heartbeatAgeSeconds"] = Math.Round(age.TotalSeconds, 1);
        }

        if (!redis.IsConnected)
        {
            var since = redis.UnreachableSince is { } when
                ? string.Create(CultureInfo.InvariantCulture, $" for {(now - when).TotalSeconds:0.0} s")
                : "";
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Redis unreachable{since}: node {node.Id} keeps its {registry.HeldCount} connection(s) open and delivers posts made on this node to them; " +
                "new connections are refused with 503; connections on other nodes, listing and broadcast to other nodes are unavailable",
                data: data));
        }

        if (heartbeatAge is null || heartbeatAge > _options.NodeTimeout)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Redis connected but the heartbeat of node {node.Id} is older than the node timeout ({_options.NodeTimeout}); other nodes treat its connections as gone until it is renewed",
                data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"Redis connected; node {node.Id} holds {registry.HeldCount} connection(s)", data));
    }
}
