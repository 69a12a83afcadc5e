using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Connections;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>
/// The cluster's outbox of owed <c>$disconnect</c> events: the list <c>P:lost</c>, filled by the sweep that purges a
/// dead node's entries (<see cref="RedisScripts.Sweep"/>), so exactly one node owes each. A node takes entries by
/// moving them atomically to its own list <c>P:node:{node}:lost</c>, so no other node gets them, and removes one
/// there once delivered; if the node dies first, the sweep that finds it dead gives them back, and a surviving node
/// sends them again.
/// </summary>
internal sealed class RedisLostConnectionOutbox(RedisConnection redis, NodeIdentity node) : ILostConnectionOutbox
{
    private readonly RedisKeys _keys = redis.Keys;

    public async ValueTask<IReadOnlyList<LostConnection>> TakeAsync(int limit, CancellationToken cancellationToken)
    {
        RedisResult[] entries;
        try
        {
            entries = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(
                RedisScripts.TakeLost,
                [_keys.Alive(node.Id), _keys.Lost, _keys.NodeLost(node.Id)],
                [limit]).ConfigureAwait(false))!;
        }
        catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
        {
            throw RedisConnectionRegistry.Unavailable("take owed $disconnect events", exception);
        }

        return [.. entries.Select(entry => Parse((string)entry!))];
    }

    public async ValueTask CompleteAsync(LostConnection lost, CancellationToken cancellationToken)
    {
        try
        {
            await redis.Database.ListRemoveAsync(_keys.NodeLost(node.Id), lost.Receipt, count: 1).ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnectionRegistry.IsRedisFailure(exception))
        {
            throw RedisConnectionRegistry.Unavailable("complete an owed $disconnect event", exception);
        }
    }

    /// <summary>An entry as the sweep wrote it; the entry itself is the receipt that removes it.</summary>
    internal static LostConnection Parse(string entry)
    {
        using var document = JsonDocument.Parse(entry);
        var root = document.RootElement;
        return new LostConnection(
            root.GetProperty("id").GetString()!,
            UnixMilliseconds(root.GetProperty("connectedAt")),
            root.GetProperty("sourceIp").GetString()!,
            root.TryGetProperty("userAgent", out var userAgent) ? userAgent.GetString() : null,
            UnixMilliseconds(root.GetProperty("lostAt")))
        {
            Receipt = entry,
        };
    }

    private static DateTimeOffset UnixMilliseconds(JsonElement value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ValueKind == JsonValueKind.Number ? value.GetInt64() : long.Parse(value.GetString()!, CultureInfo.InvariantCulture));
}
