using System.Collections.Concurrent;

namespace Switchboard.Connections;

/// <summary>The connections whose sockets this node holds. The node is the only owner of this state.</summary>
internal sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, GatewayConnection> _connections = new(StringComparer.Ordinal);
    private readonly Lock _emptyLock = new();
    private TaskCompletionSource? _empty;

    public int Count => _connections.Count;

    public void Add(GatewayConnection connection) => _connections[connection.Id] = connection;

    public void Remove(GatewayConnection connection)
    {
        _connections.TryRemove(new KeyValuePair<string, GatewayConnection>(connection.Id, connection));
        if (_connections.IsEmpty)
        {
            lock (_emptyLock)
            {
                _empty?.TrySetResult();
                _empty = null;
            }
        }
    }

    /// <summary>Completes when no connection is left (used by graceful shutdown).</summary>
    public Task WaitUntilEmptyAsync()
    {
        lock (_emptyLock)
        {
            return _connections.IsEmpty
                ? Task.CompletedTask
                : (_empty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    public GatewayConnection? Find(string connectionId) => _connections.GetValueOrDefault(connectionId);

    /// <summary>
    /// Every connection, enumerated live without locks or a copy (<see cref="ConcurrentDictionary{TKey,TValue}.Values"/>
    /// would take every lock and copy the table on each broadcast); connections may come and go while it runs.
    /// </summary>
    public IEnumerable<GatewayConnection> All
    {
        get
        {
            foreach (var entry in _connections)
            {
                yield return entry.Value;
            }
        }
    }
}
