using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>
/// The clustered registry: every node of a cluster keeps its connections in one Redis (layout in <see cref="RedisKeys"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="AddAsync"/> and <see cref="RemoveAsync"/> are one atomic script each, complete when Redis has
/// applied it. While Redis is unreachable they fail at once with <see cref="RegistryUnavailableException"/>; a removal
/// that failed is retried after every heartbeat until it succeeds.</item>
/// <item>Lookups and listings leave out entries of dead nodes (whose liveness key expired) at once, before they are
/// purged. Liveness itself — the heartbeat, purging dead nodes, re-registering what Redis lost, leaving on shutdown —
/// is <see cref="RedisNodeLiveness"/>'s.</item>
/// <item>Activity (<see cref="RecordActivityAsync"/>) is written as the lifetime monitor hands it over: one batch per
/// sweep, a few script calls, no buffering here.</item>
/// </list>
/// </remarks>
public sealed class RedisConnectionRegistry : IConnectionRegistry
{
    private const int WriteBatch = 500;

    private readonly RedisConnection _redis;
    private readonly RedisKeys _keys;

    // What this node added and has not removed: re-registered after Redis lost it.
    private readonly ConcurrentDictionary<string, ConnectionRecord> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pendingRemovals = new(StringComparer.Ordinal);

    internal RedisConnectionRegistry(RedisConnection redis)
    {
        _redis = redis;
        _keys = redis.Keys;
    }

    /// <summary>How many connections this node holds in the registry.</summary>
    internal int HeldCount => _held.Count;

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
    public async ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken)
    {
        // A re-registration writes the latest activity this node knows of.
        foreach (var (connectionId, lastActiveAt) in activity)
        {
            if (_held.TryGetValue(connectionId, out var record) && record.LastActiveAt < lastActiveAt)
            {
                _held.TryUpdate(connectionId, record with { LastActiveAt = lastActiveAt }, record);
            }
        }

        try
        {
            foreach (var batch in activity.Chunk(WriteBatch))
            {
                await _redis.Database.ScriptEvaluateAsync(
                    RedisScripts.Touch,
                    batch.Select(entry => _keys.Connection(entry.ConnectionId)).ToArray(),
                    batch.Select(entry => (RedisValue)entry.LastActiveAt.ToUnixTimeMilliseconds()).ToArray()).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            throw Unavailable("write activity", exception);
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

    /// <summary>
    /// Writes every connection this node holds again (after Redis lost them, or may have); entries are replaced as a
    /// whole, so nothing is duplicated. Returns how many it wrote.
    /// </summary>
    internal async Task<int> ReRegisterAsync()
    {
        var records = _held.Values.ToList();
        foreach (var batch in records.Chunk(WriteBatch))
        {
            await Task.WhenAll(batch.Select(WriteAsync)).ConfigureAwait(false);
        }

        // A connection that closed while it was being re-added may have had its removal overtaken by the re-add:
        // remove again whatever is no longer held.
        var gone = records.Where(record => !_held.ContainsKey(record.ConnectionId)).Select(record => record.ConnectionId).ToList();
        await RemoveManyAsync(gone).ConfigureAwait(false);
        return records.Count - gone.Count;
    }

    /// <summary>Retries the removals that failed while Redis was unreachable; returns how many it retried.</summary>
    internal async Task<int> RetryPendingRemovalsAsync()
    {
        var pending = _pendingRemovals.Keys.ToList();
        await RemoveManyAsync(pending).ConfigureAwait(false);
        return pending.Count;
    }

    /// <summary>
    /// At a graceful stop: retries the removals that failed while Redis was unreachable (connections that closed and had
    /// their <c>$disconnect</c>), and lets go of what the node still holds without removing it. Those are connections
    /// whose <c>$disconnect</c> has not run to its end — it was still running, or the connection outlived the shutdown
    /// timeout — as an entry leaves the registry only after its <c>$disconnect</c>: the stop's sweep moves them to the
    /// lost-connection outbox, from which a node sends it. Returns how many it let go of.
    /// </summary>
    internal async Task<int> LeaveAsync()
    {
        var owed = _held.Keys.ToList();
        foreach (var id in owed)
        {
            // No re-registration brings them back.
            _held.TryRemove(id, out _);
        }

        await RetryPendingRemovalsAsync().ConfigureAwait(false);
        return owed.Count;
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

    internal static RegistryUnavailableException Unavailable(string operation, Exception exception) =>
        exception as RegistryUnavailableException
        ?? new RegistryUnavailableException($"Redis is unavailable, could not {operation}", exception);
}
