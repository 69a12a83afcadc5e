using System.Collections.Concurrent;

namespace Peers.SignalR;

/// <summary>Connected ids, so a post to an unknown id answers 410 as Switchboard does (SignalR itself drops it silently).</summary>
public sealed class Presence
{
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public int Count => _ids.Count;

    public void Add(string connectionId) => _ids[connectionId] = 0;

    public void Remove(string connectionId) => _ids.TryRemove(connectionId, out _);

    public bool Contains(string connectionId) => _ids.ContainsKey(connectionId);
}
