using System.Collections.Concurrent;

namespace Switchboard.Registry;

/// <summary>
/// A registry that lives in the process: for embedding the gateway where nothing needs to survive it and for
/// tests. Being in-process, it has no ghosts by construction.
/// </summary>
public sealed class InMemoryConnectionRegistry : IConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ConnectionRecord> _records = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken)
    {
        _records[record.ConnectionId] = record;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken)
    {
        _records.TryRemove(connectionId, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken)
    {
        foreach (var (connectionId, lastActiveAt) in activity)
        {
            if (_records.TryGetValue(connectionId, out var record) && record.LastActiveAt < lastActiveAt)
            {
                _records.TryUpdate(connectionId, record with { LastActiveAt = lastActiveAt }, record);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_records.TryGetValue(connectionId, out var record) ? record : null);

    /// <inheritdoc />
    public ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken)
    {
        var items = _records.Values
            .Where(record => nextToken is null || string.CompareOrdinal(record.ConnectionId, nextToken) > 0)
            .OrderBy(record => record.ConnectionId, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].ConnectionId;
        }

        return ValueTask.FromResult(new ConnectionPage(items, next));
    }
}
