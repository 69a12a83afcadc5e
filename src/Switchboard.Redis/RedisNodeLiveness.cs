using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Connections;

namespace Switchboard.Redis;

/// <summary>
/// This node's presence in the cluster: it joins (the first heartbeat, before any connection is accepted), stays
/// alive, restores what Redis lost, purges dead nodes, and leaves on a graceful stop. Runs on the injected
/// <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Every <see cref="RedisScaleOutOptions.HeartbeatInterval"/> the node renews a key that expires after
/// <see cref="RedisScaleOutOptions.NodeTimeout"/>, then sweeps: entries of nodes whose key expired are purged by whichever
/// node sweeps first, and in the same atomic step put in the outbox of owed <c>$disconnect</c> events
/// (<see cref="RedisLostConnectionOutbox"/>).</item>
/// <item>A heartbeat that finds the node's key gone (Redis restarted empty, or the node was out of touch long enough
/// to be declared dead), and a heartbeat right after any reconnect to Redis, re-register every connection the node
/// still holds; a heartbeat that succeeds retries the removals that failed meanwhile.</item>
/// <item>After such a heartbeat the node does not sweep for one <see cref="RedisScaleOutOptions.NodeTimeout"/>: what
/// expired its key (Redis paused or down longer than the timeout, restarted from its data) has expired the other
/// nodes' keys too, and they need a heartbeat to renew them. Sweeping at once would purge live nodes' entries and send
/// <c>$disconnect</c> for connections that are still open.</item>
/// <item>A graceful stop removes whatever the node still holds, then its key, so other nodes answer 410 for its
/// connections at once instead of after the node timeout.</item>
/// </list>
/// </remarks>
internal sealed class RedisNodeLiveness : IHostedService, IDisposable
{
    private const int SweepBatch = 1000;

    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly RedisConnectionRegistry _registry;
    private readonly RedisScaleOutOptions _options;
    private readonly NodeIdentity _node;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisNodeLiveness> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _wake = NewWake();
    private Task? _heartbeatLoop;
    private long _lastHeartbeatMs;
    private DateTimeOffset _sweepNotBefore = DateTimeOffset.MinValue;
    private bool _heartbeatFailing;
    private int _reRegisterRequested;

    public RedisNodeLiveness(RedisConnection redis, RedisConnectionRegistry registry, IOptions<RedisScaleOutOptions> options, NodeIdentity node, TimeProvider time, ILogger<RedisNodeLiveness> logger)
    {
        _redis = redis;
        _keys = redis.Keys;
        _registry = registry;
        _options = options.Value;
        _node = node;
        _time = time;
        _logger = logger;
    }

    /// <summary>When this node's heartbeat last reached Redis; null before the first.</summary>
    public DateTimeOffset? LastHeartbeat =>
        Interlocked.Read(ref _lastHeartbeatMs) is var ms and not 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The first heartbeat must succeed before any connection is accepted: an entry of a node without a liveness
        // key would read as a dead node's.
        try
        {
            await HeartbeatAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
        {
            throw RedisConnectionRegistry.Unavailable("register this node", exception);
        }

        _redis.Restored += OnRedisRestored;
        _heartbeatLoop = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _redis.Restored -= OnRedisRestored;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_heartbeatLoop is not null)
        {
            await _heartbeatLoop.ConfigureAwait(false);
        }

        try
        {
            await _registry.RemoveAllHeldAsync().ConfigureAwait(false);
            await _redis.Database.KeyDeleteAsync(_keys.Alive(_node.Id)).ConfigureAwait(false);
            await SweepAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
        {
            RedisLog.StopCleanupFailed(_logger, _node.Id, exception);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnRedisRestored()
    {
        // After any reconnect the node re-registers everything it holds, even when its liveness key survived: Redis may
        // be a promoted replica that missed the latest writes, or have restarted from an older snapshot. And it does so
        // now rather than at the next heartbeat: the sooner, the fewer false 410s other nodes give meanwhile.
        Interlocked.Exchange(ref _reRegisterRequested, 1);
        Volatile.Read(ref _wake).TrySetResult();
    }

    private async Task HeartbeatLoopAsync()
    {
        var token = _stopping.Token;
        while (true)
        {
            // Task.Delay on the injected clock; a reconnect to Redis cuts the wait short.
            await Task.WhenAny(Volatile.Read(ref _wake).Task, Task.Delay(_options.HeartbeatInterval, _time, token)).ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }

            // Replaced before the heartbeat reads the re-registration request, so a reconnect from now on wakes the next wait.
            Volatile.Write(ref _wake, NewWake());
            try
            {
                await HeartbeatAsync().ConfigureAwait(false);
                if (_heartbeatFailing)
                {
                    _heartbeatFailing = false;
                    RedisLog.HeartbeatRecovered(_logger, _node.Id);
                }
            }
            catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
            {
                if (!_heartbeatFailing)
                {
                    _heartbeatFailing = true;
                    RedisLog.HeartbeatFailed(_logger, _node.Id, _options.NodeTimeout, exception);
                }

                continue;
            }

            if (_time.GetUtcNow() < _sweepNotBefore)
            {
                continue;
            }

            try
            {
                await SweepAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
            {
                RedisLog.SweepFailed(_logger, exception);
            }
        }
    }

    /// <summary>Renews the liveness key; re-registers everything held when Redis had lost it; retries failed removals.</summary>
    private async Task HeartbeatAsync()
    {
        var existed = (long)await _redis.Database.ScriptEvaluateAsync(
            RedisScripts.Heartbeat,
            [_keys.Alive(_node.Id), _keys.Nodes],
            [_node.Id, (long)_options.NodeTimeout.TotalMilliseconds]).ConfigureAwait(false);
        var joined = Interlocked.Exchange(ref _lastHeartbeatMs, _time.GetUtcNow().ToUnixTimeMilliseconds()) != 0;
        var reconnected = Interlocked.Exchange(ref _reRegisterRequested, 0) == 1;

        // Not when joining: a new node's key is always missing, which says nothing about the others'.
        if (joined && (reconnected || existed == 0))
        {
            _sweepNotBefore = _time.GetUtcNow() + _options.NodeTimeout;
            RedisLog.SweepDeferred(_logger, _node.Id, _options.NodeTimeout);
        }

        if ((reconnected || existed == 0) && _registry.HeldCount > 0)
        {
            try
            {
                RedisLog.ReRegistered(_logger, _node.Id, await _registry.ReRegisterAsync().ConfigureAwait(false));
            }
            catch
            {
                // Not done: the next heartbeat tries again.
                Interlocked.Exchange(ref _reRegisterRequested, 1);
                throw;
            }
        }

        if (await _registry.RetryPendingRemovalsAsync().ConfigureAwait(false) is var retried and > 0)
        {
            RedisLog.PendingRemovalsRetried(_logger, retried);
        }
    }

    private async Task SweepAsync()
    {
        long purged = 0;
        while (true)
        {
            var result = (RedisResult[])(await _redis.Database.ScriptEvaluateAsync(RedisScripts.Sweep, [_keys.Nodes, _keys.Connections], [_keys.Prefix, SweepBatch, _time.GetUtcNow().ToUnixTimeMilliseconds()]).ConfigureAwait(false))!;
            purged += (long)result[0];
            if ((long)result[1] == 0)
            {
                break;
            }
        }

        if (purged > 0)
        {
            RedisLog.PurgedDeadNodes(_logger, purged);
        }
    }
}
