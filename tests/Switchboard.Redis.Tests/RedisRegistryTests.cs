using System.Diagnostics;
using StackExchange.Redis;
using Switchboard.Connections;
using Switchboard.Registry;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// What the Redis registry adds to the shared contract: liveness, purging dead nodes, re-registration after Redis
/// lost its data, and failing clearly (and recovering) while Redis is unreachable. Each test has its own redis-server,
/// since several stop it.
/// </summary>
public sealed class RedisRegistryTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private RedisServer _redis = null!;
    private ConnectionMultiplexer _inspection = null!;
    private readonly string _prefix = RedisServerFixture.NewPrefix();

    private IDatabase Inspect => _inspection.GetDatabase();

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _inspection = await RedisInspection.ConnectAsync(_redis.Configuration);
    }

    public async Task DisposeAsync()
    {
        await _inspection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Heartbeat_KeepsALivenessKey_ThatExpiresAfterTheNodeTimeout()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix, nodeTimeout: TimeSpan.FromSeconds(3));

        var ttl = await Inspect.KeyTimeToLiveAsync($"{_prefix}:alive:{node.Node.Id}");

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(3));
        Assert.True(await Inspect.SetContainsAsync($"{_prefix}:nodes", node.Node.Id));
    }

    [Fact]
    public async Task EntriesOfANodeWithoutHeartbeat_AreHiddenAtOnce_ThenPurged_WhileLiveNodesKeepTheirs()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var live = Record(node.Node.Id);
        var dead = Record("node-dead");
        await node.Registry.AddAsync(live, CancellationToken.None);
        await node.Registry.AddAsync(dead, CancellationToken.None);

        // Hidden before any sweep could have run: "node-dead" never had a liveness key.
        Assert.Null(await node.Registry.GetAsync(dead.ConnectionId, CancellationToken.None));
        Assert.Equal([live], (await node.Registry.ListAsync(10, null, CancellationToken.None)).Items);

        await EventuallyAsync(async () => !await Inspect.KeyExistsAsync($"{_prefix}:connection:{dead.ConnectionId}"), "the dead node's entry to be purged");
        Assert.Equal([live.ConnectionId], (await Inspect.SortedSetRangeByValueAsync($"{_prefix}:connections")).Select(id => (string)id!));
        Assert.False(await Inspect.SetContainsAsync($"{_prefix}:nodes", "node-dead"));
        Assert.Equal(live, await node.Registry.GetAsync(live.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task ANodeThatMissedItsHeartbeat_ReRegistersWhatItHolds_ExactlyOnce()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var records = Enumerable.Range(0, 3).Select(_ => Record(node.Node.Id)).ToList();
        foreach (var record in records)
        {
            await node.Registry.AddAsync(record, CancellationToken.None);
        }

        // As if the node had been out of touch for longer than the node timeout: its key expired and a sweep purged it.
        await Inspect.KeyDeleteAsync($"{_prefix}:alive:{node.Node.Id}");
        await EventuallyAsync(async () => await Inspect.SortedSetLengthAsync($"{_prefix}:connections") == 3 && await Inspect.KeyExistsAsync($"{_prefix}:alive:{node.Node.Id}"), "the node to come back");

        var listed = (await node.Registry.ListAsync(100, null, CancellationToken.None)).Items;
        Assert.Equal(records.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), listed);
        Assert.Equal(3, await Inspect.SetLengthAsync($"{_prefix}:node:{node.Node.Id}:connections"));
    }

    [Fact]
    public async Task AfterAReconnect_TheNodeReRegistersWhatItHolds_EvenWhenRedisKeptItsLivenessKey()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix, heartbeat: TimeSpan.FromSeconds(30), nodeTimeout: TimeSpan.FromMinutes(1));
        var kept = Record(node.Node.Id);
        var lost = Record(node.Node.Id);
        await node.Registry.AddAsync(kept, CancellationToken.None);
        await node.Registry.AddAsync(lost, CancellationToken.None);

        // As after a failover to a replica that missed the latest write: one entry is gone, the node's key is not.
        await Inspect.ScriptEvaluateAsync(
            "redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[2], ARGV[1]); return 1",
            [$"{_prefix}:connection:{lost.ConnectionId}", $"{_prefix}:connections"],
            [lost.ConnectionId]);
        var clients = (string)(await Inspect.ExecuteAsync("CLIENT", "LIST"))!;
        foreach (var line in clients.Split('\n').Where(line => line.Contains($"name=switchboard-{node.Node.Id}", StringComparison.Ordinal)))
        {
            var id = line.Split(' ').Single(field => field.StartsWith("id=", StringComparison.Ordinal))[3..];
            await Inspect.ExecuteAsync("CLIENT", "KILL", "ID", id);
        }

        // Well before the next heartbeat (30 s away): the reconnect itself triggers it.
        await EventuallyAsync(async () => await Inspect.KeyExistsAsync($"{_prefix}:connection:{lost.ConnectionId}"), "the lost entry to be re-registered", TimeSpan.FromSeconds(15));
        Assert.Equal(new[] { kept, lost }.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), (await node.Registry.ListAsync(10, null, CancellationToken.None)).Items);
    }

    [Fact]
    public async Task AfterRedisRestartsEmpty_TheNodeReRegistersItsConnections_ExactlyOnce_AndServesAgain()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var records = Enumerable.Range(0, 5).Select(_ => Record(node.Node.Id)).ToList();
        foreach (var record in records)
        {
            await node.Registry.AddAsync(record, CancellationToken.None);
        }

        await _redis.KillAsync();
        await Assert.ThrowsAsync<RegistryUnavailableException>(() => node.Registry.GetAsync(records[0].ConnectionId, CancellationToken.None).AsTask());
        await _redis.RestartAsync();

        await EventuallyAsync(async () => await Inspect.SortedSetLengthAsync($"{_prefix}:connections") == 5, "the node's five connections to be re-registered");
        Assert.Equal(records.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), (await node.Registry.ListAsync(100, null, CancellationToken.None)).Items);
        var added = Record(node.Node.Id);
        await node.Registry.AddAsync(added, CancellationToken.None);
        Assert.Equal(added, await node.Registry.GetAsync(added.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task AddAsync_WhileRedisIsDown_FailsAtOnceWithRegistryUnavailable_AndIsNeverReRegistered()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var kept = Record(node.Node.Id);
        await node.Registry.AddAsync(kept, CancellationToken.None);
        await _redis.KillAsync();

        var refused = Record(node.Node.Id);
        var stopwatch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RegistryUnavailableException>(() => node.Registry.AddAsync(refused, CancellationToken.None).AsTask());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"a refused add took {stopwatch.Elapsed}; it should fail fast");

        await _redis.RestartAsync();
        await EventuallyAsync(async () => await Inspect.SortedSetLengthAsync($"{_prefix}:connections") >= 1, "re-registration");
        Assert.Equal([kept], (await node.Registry.ListAsync(100, null, CancellationToken.None)).Items);
    }

    [Fact]
    public async Task RemoveAsync_ThatFailed_IsRetriedUntilTheEntryIsGone()
    {
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var record = Record(node.Node.Id);
        await node.Registry.AddAsync(record, CancellationToken.None);

        // Redis keeps its data but refuses the registry's scripts for a while (as during a failover or a partition).
        await Inspect.ExecuteAsync("ACL", "SETUSER", "default", "-eval", "-evalsha");
        try
        {
            await Assert.ThrowsAsync<RegistryUnavailableException>(() => node.Registry.RemoveAsync(record.ConnectionId, CancellationToken.None).AsTask());
            Assert.True(await Inspect.KeyExistsAsync($"{_prefix}:connection:{record.ConnectionId}"));
        }
        finally
        {
            await Inspect.ExecuteAsync("ACL", "SETUSER", "default", "+@all");
        }

        await EventuallyAsync(async () => !await Inspect.KeyExistsAsync($"{_prefix}:connection:{record.ConnectionId}"), "the failed removal to be retried");
        Assert.Equal(0, await Inspect.SortedSetLengthAsync($"{_prefix}:connections"));
    }

    [Fact]
    public async Task StopAsync_RemovesTheNodesEntriesAndLivenessKey_MovingWhatItStillHoldsToTheOutbox()
    {
        var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix);
        var disconnected = Record(node.Node.Id);
        var stillHeld = Record(node.Node.Id);
        await node.Registry.AddAsync(disconnected, CancellationToken.None);
        await node.Registry.AddAsync(stillHeld, CancellationToken.None);
        // An entry leaves only after its $disconnect: one that is still held at the stop had none.
        await node.Registry.RemoveAsync(disconnected.ConnectionId, CancellationToken.None);

        await node.StopAsync();

        var keys = new List<string>();
        await foreach (var key in _inspection.GetServer(_redis.Configuration).KeysAsync(pattern: _prefix + ":*"))
        {
            keys.Add(key!);
        }

        Assert.Equal([$"{_prefix}:lost"], keys);
        var owed = await Inspect.ListRangeAsync($"{_prefix}:lost");
        Assert.Equal(stillHeld.ConnectionId, System.Text.Json.JsonDocument.Parse((string)Assert.Single(owed)!).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Heartbeat_RunsOnTheInjectedClock()
    {
        var time = new ObservableFakeTimeProvider();
        var heartbeat = TimeSpan.FromSeconds(2);
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix, heartbeat, nodeTimeout: TimeSpan.FromMinutes(1), time: time);
        var alive = $"{_prefix}:alive:{node.Node.Id}";
        Assert.Equal(WholeMilliseconds(time.GetUtcNow()), node.Liveness.LastHeartbeat);

        // The loop waits for the next heartbeat on the fake clock; meanwhile nothing renews the key.
        await time.WaitForTimerAsync(heartbeat);
        await Inspect.KeyDeleteAsync(alive);
        Assert.False(await Inspect.KeyExistsAsync(alive));

        time.Advance(heartbeat);

        await EventuallyAsync(async () => await Inspect.KeyExistsAsync(alive), "the heartbeat the clock made due");
        Assert.Equal(WholeMilliseconds(time.GetUtcNow()), node.Liveness.LastHeartbeat);
    }

    [Fact]
    public async Task ANodeThatFindsItsKeyGone_SweepsOnlyANodeTimeoutLater_SoNodesWhoseKeysExpiredWithItsAreNotPurged()
    {
        var time = new ObservableFakeTimeProvider();
        var heartbeat = TimeSpan.FromSeconds(2);
        var nodeTimeout = TimeSpan.FromSeconds(10);
        await using var node = await RedisRegistryNode.StartAsync(_redis.Configuration, _prefix, heartbeat, nodeTimeout, time);
        var alive = $"{_prefix}:alive:{node.Node.Id}";
        var other = Record("node-other");
        var otherEntry = $"{_prefix}:connection:{other.ConnectionId}";
        await node.Registry.AddAsync(other, CancellationToken.None);

        // As after Redis was paused or down longer than the node timeout: this node's key expired, and so had the
        // other node's (which has none here). The heartbeat that finds its key gone must not sweep.
        await time.WaitForTimerAsync(heartbeat);
        await Inspect.KeyDeleteAsync(alive);
        time.Advance(heartbeat);
        var deferredAt = time.GetUtcNow();
        await time.WaitForTimerAsync(heartbeat, count: 2);
        Assert.True(await Inspect.KeyExistsAsync(alive));
        Assert.True(await Inspect.KeyExistsAsync(otherEntry));

        // Nor any heartbeat until the other node has had a node timeout to renew its key.
        for (var beat = 3; time.GetUtcNow() + heartbeat < deferredAt + nodeTimeout; beat++)
        {
            time.Advance(heartbeat);
            await time.WaitForTimerAsync(heartbeat, count: beat);
            Assert.True(await Inspect.KeyExistsAsync(otherEntry), $"purged at heartbeat {beat}, within the node timeout");
        }

        // It did not: it is dead, and the next sweeps purge it.
        for (var beat = 0; beat < 2; beat++)
        {
            time.Advance(heartbeat);
        }

        await EventuallyAsync(async () => !await Inspect.KeyExistsAsync(otherEntry), "the dead node's entry to be purged after the node timeout");
    }

    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    private static ConnectionRecord Record(string nodeId)
    {
        var connectedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_735_725_600_123 + Random.Shared.Next(0, 1_000_000));
        return new ConnectionRecord(ConnectionId.New(), nodeId, connectedAt, connectedAt.AddMilliseconds(250), "203.0.113.25", "RedisTests/1.0");
    }

    private static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null) =>
        Eventually.UntilAsync(condition, bound ?? Bound, what);
}
