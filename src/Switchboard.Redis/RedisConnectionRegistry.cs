using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>
/// The clustered registry: every node of a cluster keeps its connections in one Redis (layout in <see cref="RedisKeys"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="AddAsync"/> and <see cref="RemoveAsync"/> are one atomic script each, complete when Redis has
/// applied it. While Redis is unreachable they fail at once with <see cref="RegistryUnavailableException"/>; a removal
/// that failed is retried until it succeeds.</item>
/// <item>Liveness: every <see cref="RedisScaleOutOptions.HeartbeatInterval"/> the node renews a key that expires after
/// <see cref="RedisScaleOutOptions.NodeTimeout"/>, then sweeps: entries of nodes whose key expired are purged by whichever
/// node sweeps first. Lookups and listings leave out entries of dead nodes at once, before the purge.</item>
/// <item>A heartbeat that finds the node's key gone (Redis restarted empty, or the node was out of touch long enough
/// to be declared dead), and the first heartbeat after any reconnect to Redis, re-register every connection the node
/// still holds; entries are replaced as a whole, so nothing is duplicated.</item>
/// <item>Activity (<see cref="Touch"/>) is coalesced and written every second
/// in one script call.</item>
/// </list>
/// </remarks>
public sealed class RedisConnectionRegistry : IConnectionRegistry, IHostedService, IDisposable
{
    private const int SweepBatch = 1000;
    private const int WriteBatch = 500;

    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;
    private readonly RedisScaleOutOptions _options;
    private readonly NodeIdentity _node;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisConnectionRegistry> _logger;

    // What this node added and has not removed: re-registered after Redis lost it.
    private readonly ConcurrentDictionary<string, ConnectionRecord> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _touches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pendingRemovals = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wakeHeartbeat = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _heartbeatLoop;
    private Task? _touchLoop;
    private long _lastHeartbeatMs;
    private bool _heartbeatFailing;
    private int _reRegisterRequested;

    internal RedisConnectionRegistry(RedisConnection redis, IOptions<RedisScaleOutOptions> options, NodeIdentity node, TimeProvider time, ILogger<RedisConnectionRegistry> logger)
    {
        _redis = redis;
        _keys = redis.Keys;
        _options = options.Value;
        _node = node;
        _time = time;
        _logger = logger;
    }

    /// <summary>When this node's heartbeat last reached Redis; null before the first.</summary>
    internal DateTimeOffset? LastHeartbeat =>
        Interlocked.Read(ref _lastHeartbeatMs) is var ms and not 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>How many connections this node holds in the registry.</summary>
    internal int HeldCount => _held.Count;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The first heartbeat must succeed before any connection is accepted: an entry of a node without a liveness
        // key would read as a dead node's.
        try
        {
            await HeartbeatAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            throw Unavailable("register this node", exception);
        }

        _redis.Restored += OnRedisRestored;
        _heartbeatLoop = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        _touchLoop = Task.Run(TouchLoopAsync, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _redis.Restored -= OnRedisRestored;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _heartbeatLoop, _touchLoop })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }
        }

        // A graceful stop leaves nothing behind: whatever is still held (connections that outlived the shutdown
        // timeout) goes with the liveness key, so other nodes answer 410 for them at once instead of after the timeout.
        try
        {
            var database = _redis.Database;
            await RemoveManyAsync(_held.Keys.Concat(_pendingRemovals.Keys).ToList()).ConfigureAwait(false);
            await database.KeyDeleteAsync(_keys.Alive(_node.Id)).ConfigureAwait(false);
            await SweepAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            RedisLog.StopCleanupFailed(_logger, _node.Id, exception);
        }
    }

    /// <inheritdoc />
    public async ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken)
    {
        _held[record.ConnectionId] = record;
        try
        {
            // Not abandoned on cancellation: the script runs anyway, and an entry written after its caller gave up
            // would be a ghost. Redis's own timeout bounds the wait.
            await WriteAsync(record).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            // Never registered: the connection is refused, so it must not be re-registered later either.
            _held.TryRemove(record.ConnectionId, out _);
            throw Unavailable("add a connection", exception);
        }
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken)
    {
        _held.TryRemove(connectionId, out _);
        _touches.TryRemove(connectionId, out _);
        try
        {
            await DeleteAsync(connectionId).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            // The entry must not outlive the connection: retried after every successful heartbeat until it goes.
            _pendingRemovals[connectionId] = 0;
            throw Unavailable("remove a connection", exception);
        }
    }

    /// <inheritdoc />
    public void Touch(string connectionId, DateTimeOffset lastActiveAt)
    {
        var ms = lastActiveAt.ToUnixTimeMilliseconds();
        _touches.AddOrUpdate(connectionId, ms, (_, current) => Math.Max(current, ms));
        if (_held.TryGetValue(connectionId, out var record) && record.LastActiveAt < lastActiveAt)
        {
            _held.TryUpdate(connectionId, record with { LastActiveAt = lastActiveAt }, record);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        RedisResult result;
        try
        {
            result = await _redis.Database.ScriptEvaluateAsync(RedisScripts.Get, [_keys.Connection(connectionId)], [_keys.Prefix])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            throw Unavailable("look a connection up", exception);
        }

        if (result.IsNull)
        {
            return null;
        }

        var fields = (RedisResult[])result!;
        return Read(connectionId, fields, 0);
    }

    /// <inheritdoc />
    public async ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken)
    {
        RedisResult[] rows;
        try
        {
            var result = await _redis.Database.ScriptEvaluateAsync(
                    RedisScripts.List,
                    [_keys.Connections],
                    [_keys.Prefix, nextToken ?? "", limit + 1])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            rows = (RedisResult[])result!;
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            throw Unavailable("list connections", exception);
        }

        const int Width = 7;
        var count = rows.Length / Width;
        var items = new List<ConnectionRecord>(Math.Min(count, limit));
        for (var i = 0; i < Math.Min(count, limit); i++)
        {
            var offset = i * Width;
            if ((long)rows[offset + 6] == 1)
            {
                items.Add(Read((string)rows[offset]!, rows, offset + 1));
            }
        }

        // The token is the last id of this page whether or not its entry was left out, so paging never skips an id.
        return new ConnectionPage(items, count > limit ? (string)rows[(limit - 1) * Width]! : null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping.Dispose();
        _wakeHeartbeat.Dispose();
    }

    private Task WriteAsync(ConnectionRecord record) =>
        _redis.Database.ScriptEvaluateAsync(
            RedisScripts.Add,
            [_keys.Connection(record.ConnectionId), _keys.Connections, _keys.NodeConnections(record.NodeId), _keys.Nodes],
            [
                record.ConnectionId,
                record.NodeId,
                record.ConnectedAt.ToUnixTimeMilliseconds(),
                record.LastActiveAt.ToUnixTimeMilliseconds(),
                record.SourceIp,
                record.UserAgent is null ? 0 : 1,
                record.UserAgent ?? "",
            ]);

    private Task DeleteAsync(string connectionId) =>
        _redis.Database.ScriptEvaluateAsync(RedisScripts.Remove, [_keys.Connection(connectionId), _keys.Connections], [connectionId, _keys.Prefix]);

    private async Task RemoveManyAsync(IReadOnlyList<string> connectionIds)
    {
        foreach (var batch in connectionIds.Chunk(WriteBatch))
        {
            await Task.WhenAll(batch.Select(DeleteAsync)).ConfigureAwait(false);
            foreach (var id in batch)
            {
                _pendingRemovals.TryRemove(id, out _);
            }
        }
    }

    private void OnRedisRestored()
    {
        // After any reconnect the node re-registers everything it holds, even when its liveness key survived: Redis may
        // be a promoted replica that missed the latest writes, or have restarted from an older snapshot. And it does so
        // now rather than at the next heartbeat: the sooner, the fewer false 410s other nodes give meanwhile.
        Interlocked.Exchange(ref _reRegisterRequested, 1);
        try
        {
            _wakeHeartbeat.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wakeHeartbeat.WaitAsync(_options.HeartbeatInterval, token).ConfigureAwait(false);
                while (_wakeHeartbeat.CurrentCount > 0)
                {
                    await _wakeHeartbeat.WaitAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await HeartbeatAsync().ConfigureAwait(false);
                if (_heartbeatFailing)
                {
                    _heartbeatFailing = false;
                    RedisLog.HeartbeatRecovered(_logger, _node.Id);
                }
            }
            catch (Exception exception) when (IsRedisFailure(exception))
            {
                if (!_heartbeatFailing)
                {
                    _heartbeatFailing = true;
                    RedisLog.HeartbeatFailed(_logger, _node.Id, _options.NodeTimeout, exception);
                }

                continue;
            }

            try
            {
                await SweepAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (IsRedisFailure(exception))
            {
                RedisLog.SweepFailed(_logger, exception);
            }
        }
    }

    /// <summary>Renews the liveness key; re-registers everything held when Redis had lost it; retries failed removals.</summary>
    private async Task HeartbeatAsync()
    {
        var database = _redis.Database;
        var existed = (long)await database.ScriptEvaluateAsync(
            RedisScripts.Heartbeat,
            [_keys.Alive(_node.Id), _keys.Nodes],
            [_node.Id, (long)_options.NodeTimeout.TotalMilliseconds]).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastHeartbeatMs, _time.GetUtcNow().ToUnixTimeMilliseconds());

        if ((Interlocked.Exchange(ref _reRegisterRequested, 0) == 1 || existed == 0) && !_held.IsEmpty)
        {
            try
            {
                await ReRegisterAsync().ConfigureAwait(false);
            }
            catch
            {
                // Not done: the next heartbeat tries again.
                Interlocked.Exchange(ref _reRegisterRequested, 1);
                throw;
            }
        }

        if (!_pendingRemovals.IsEmpty)
        {
            var pending = _pendingRemovals.Keys.ToList();
            await RemoveManyAsync(pending).ConfigureAwait(false);
            RedisLog.PendingRemovalsRetried(_logger, pending.Count);
        }
    }

    private async Task ReRegisterAsync()
    {
        var records = _held.Values.ToList();
        foreach (var batch in records.Chunk(WriteBatch))
        {
            await Task.WhenAll(batch.Select(WriteAsync)).ConfigureAwait(false);
        }

        // A connection that closed while it was being re-added may have had its removal overtaken by the re-add:
        // remove again whatever is no longer held.
        var gone = records.Where(record => !_held.ContainsKey(record.ConnectionId)).Select(record => record.ConnectionId).ToList();
        if (gone.Count > 0)
        {
            await RemoveManyAsync(gone).ConfigureAwait(false);
        }

        RedisLog.ReRegistered(_logger, _node.Id, records.Count - gone.Count);
    }

    private async Task SweepAsync()
    {
        long purged = 0;
        while (true)
        {
            var result = (RedisResult[])(await _redis.Database.ScriptEvaluateAsync(RedisScripts.Sweep, [_keys.Nodes, _keys.Connections], [_keys.Prefix, SweepBatch]).ConfigureAwait(false))!;
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

    private async Task TouchLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_touches.IsEmpty)
            {
                continue;
            }

            var drained = new List<KeyValuePair<string, long>>();
            foreach (var id in _touches.Keys)
            {
                if (_touches.TryRemove(id, out var ms))
                {
                    drained.Add(new(id, ms));
                }
            }

            try
            {
                foreach (var batch in drained.Chunk(WriteBatch))
                {
                    await _redis.Database.ScriptEvaluateAsync(
                        RedisScripts.Touch,
                        batch.Select(touch => _keys.Connection(touch.Key)).ToArray(),
                        batch.Select(touch => (RedisValue)touch.Value).ToArray()).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (IsRedisFailure(exception))
            {
                RedisLog.TouchFlushFailed(_logger, drained.Count, exception);
                foreach (var (id, ms) in drained)
                {
                    if (_held.ContainsKey(id))
                    {
                        _touches.AddOrUpdate(id, ms, (_, current) => Math.Max(current, ms));
                    }
                }
            }
        }
    }

    private static ConnectionRecord Read(string connectionId, RedisResult[] fields, int offset)
    {
        var userAgent = fields[offset + 4];
        return new ConnectionRecord(
            connectionId,
            (string)fields[offset]!,
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)fields[offset + 1]!, CultureInfo.InvariantCulture)),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)fields[offset + 2]!, CultureInfo.InvariantCulture)),
            (string)fields[offset + 3]!,
            userAgent.IsNull ? null : (string)userAgent!);
    }

    internal static bool IsRedisFailure(Exception exception) =>
        exception is RedisException or TimeoutException or RegistryUnavailableException or ObjectDisposedException;

    private static RegistryUnavailableException Unavailable(string operation, Exception exception) =>
        exception as RegistryUnavailableException
        ?? new RegistryUnavailableException($"Redis is unavailable, could not {operation}", exception);
}
