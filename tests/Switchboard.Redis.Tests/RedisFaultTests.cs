using System.Diagnostics;
using System.Net;
using StackExchange.Redis;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Redis.Tests;

/// <summary>
/// Redis slow, paused, restarted with and without its data, and cut off by a proxy, each on a cluster of real
/// processes with a recording backend behind <c>$connect</c> and <c>$disconnect</c>. Each test states what clients see,
/// that nothing acknowledged is lost and no ghost is left, and how long the cluster takes to be normal again (printed,
/// and bounded with a generous margin). docs/reliability.md, "Faults", lists the figures.
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class RedisFaultTests(ITestOutputHelper output)
{
    /// <summary>The bound asserted for "normal again" after a fault ends: a few heartbeats, with a margin for a busy machine.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RedisSlow_ConnectsAndCrossNodePostsStillSucceed_EachDeliveredOnce_AndNoNodeIsDeclaredDead()
    {
        var latency = TimeSpan.FromMilliseconds(100);
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2, BehindProxies: true), "--definition", await WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        await using var disposeB = clientB;
        var before = await TimePostAsync(cluster, a, idB, "before");
        Assert.Equal("before", await clientB.ReceiveTextAsync());

        // Every byte between a node and Redis waits 100 ms, each way.
        foreach (var node in cluster.Nodes)
        {
            cluster.ProxyOf(node).Latency = latency;
        }

        var connecting = Stopwatch.StartNew();
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        await using var disposeA = clientA;
        var connectTime = connecting.Elapsed;
        Assert.True(connectTime >= latency * 2, $"the handshake took {connectTime}: it did not wait for the registry write");

        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 3; i++)
        {
            slowest = Max(slowest, await TimePostAsync(cluster, a, idB, $"slow {i}"));
            slowest = Max(slowest, await TimePostAsync(cluster, b, idA, $"slow {i}"));
        }

        foreach (var client in new[] { clientA, clientB })
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal($"slow {i}", await client.ReceiveTextAsync());
            }
        }

        // Nothing was declared dead: both ids answer everywhere, both are listed, and no $disconnect was sent.
        Assert.Equal(HttpStatusCode.OK, await cluster.GetStatusAsync(b, idA));
        Assert.Equal(new[] { idA, idB }.Order(StringComparer.Ordinal), await cluster.ListAsync(a));

        foreach (var node in cluster.Nodes)
        {
            cluster.ProxyOf(node).Heal();
        }

        var after = await TimePostAsync(cluster, a, idB, "after");
        Assert.Equal("after", await clientB.ReceiveTextAsync());
        Assert.Empty(Disconnects(backend).Select(sent => sent.ConnectionId));
        output.WriteLine($"Redis 100 ms slower each way: handshake {connectTime.TotalMilliseconds:0} ms, slowest cross-node post {slowest.TotalMilliseconds:0} ms (before {before.TotalMilliseconds:0} ms, after healing {after.TotalMilliseconds:0} ms)");
    }

    [Fact]
    public async Task RedisPaused_ShorterThanTheNodeTimeout_HandshakesAndPostsWait_ThenSucceed_NothingLostOrDisconnected()
    {
        var pause = TimeSpan.FromMilliseconds(1500);
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2), "--definition", await WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        await using var disposeB = clientB;
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);

        await redis.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", (long)pause.TotalMilliseconds, "ALL");
        var paused = Stopwatch.StartNew();
        var handshake = Cluster.ConnectAsync(a);
        var post = TimePostAsync(cluster, a, idB, "during the pause");

        // Both wait for Redis, then go through.
        var (clientA, idA) = await handshake;
        await using var disposeA = clientA;
        var handshakeDone = paused.Elapsed;
        await post;
        var postDone = paused.Elapsed;
        Assert.Equal("during the pause", await clientB.ReceiveTextAsync());
        Assert.True(postDone >= pause - TimeSpan.FromMilliseconds(100), $"the post was answered {postDone} into a {pause} pause");
        Assert.True(postDone <= pause + Recovery, $"the post was answered {postDone} into a {pause} pause");

        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(b, idA, "after"));
        Assert.Equal("after", await clientA.ReceiveTextAsync());
        Assert.Equal(new[] { idA, idB }.Order(StringComparer.Ordinal), await cluster.ListAsync(b));
        Assert.Empty(Disconnects(backend).Select(sent => sent.ConnectionId));
        output.WriteLine($"CLIENT PAUSE {pause.TotalMilliseconds:0} ms: a handshake begun in it completed {handshakeDone.TotalMilliseconds:0} ms, a cross-node post {postDone.TotalMilliseconds:0} ms after it began");
    }

    [Fact]
    public async Task RedisPaused_LongerThanTheNodeTimeout_NoLiveConnectionGetsADisconnect_AndTheRegistryEqualsTheSocketsAfterwards()
    {
        var pause = Cluster.NodeTimeout + TimeSpan.FromSeconds(1);
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2), "--definition", await WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        await using var disposeA = clientA;
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        await using var disposeB = clientB;
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration + ",syncTimeout=15000,asyncTimeout=15000");

        // DEBUG SLEEP blocks Redis as a long fork, a swapped-out or frozen VM would; every liveness key expires meanwhile.
        var sleeping = redis.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", pause.TotalSeconds);
        var paused = Stopwatch.StartNew();
        var post = cluster.PostStatusAsync(a, idB, "during the pause");
        await sleeping;

        // The post waited; it is answered 200 (delivered) or 410 (looked up before B's heartbeat got in), never 200 undelivered.
        var postStatus = await post;
        var postDone = paused.Elapsed;
        Assert.Contains(postStatus, new[] { HttpStatusCode.OK, HttpStatusCode.Gone });
        if (postStatus == HttpStatusCode.OK)
        {
            Assert.Equal("during the pause", await clientB.ReceiveTextAsync());
        }

        await cluster.EventuallyAsync(async () => await cluster.ListsExactlyAsync(a, [idA, idB]) && await cluster.PostStatusAsync(b, idA, "probe") == HttpStatusCode.OK, "both connections to be listed and reachable again", Recovery);
        var normal = paused.Elapsed;

        // Both sockets stayed open, and neither was reported lost to the integration.
        await WaitForEmptyOutboxAsync(cluster, redis);
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(a, idB, "after"));
        Assert.Equal("after", await ReceiveSkippingAsync(clientB, "during the pause"));
        Assert.Empty(Disconnects(backend).Select(sent => sent.ConnectionId));
        Assert.Equal(2, await redis.GetDatabase().SortedSetLengthAsync("switchboard:connections"));
        output.WriteLine($"DEBUG SLEEP {pause.TotalSeconds:0.0} s: a post begun in it answered {(int)postStatus} after {postDone.TotalMilliseconds:0} ms; listed and reachable again {normal.TotalMilliseconds:0} ms after the pause began");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RedisRestarted_AfterAnOutageLongerThanTheNodeTimeout_ClientsStay_NoGhostsNoFalseDisconnects(bool withItsData)
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2, PersistentRedis: withItsData), "--definition", await WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        await using var disposeA = clientA;
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        await using var disposeB = clientB;
        var (leaving, leavingId) = await Cluster.ConnectAsync(b);

        await cluster.Redis.KillAsync();
        var down = Stopwatch.StartNew();

        // While it is down: sockets stay, a local post works, a cross-node one and a new client get 503.
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(b, idB, "local"));
        Assert.Equal("local", await clientB.ReceiveTextAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await cluster.PostStatusAsync(a, idB, "cross-node"));
        var refusing = Stopwatch.StartNew();
        Assert.Equal(503, await Cluster.HandshakeStatusAsync(a));
        var refusedIn = refusing.Elapsed;
        await leaving.CloseAsync();
        await leaving.DisposeAsync();

        // Down longer than the node timeout: every liveness key Redis kept has expired by the time it is back.
        await cluster.EventuallyAsync(async () => await HeartbeatAgeAsync(cluster, a) > Cluster.NodeTimeout.TotalSeconds && await HeartbeatAgeAsync(cluster, b) > Cluster.NodeTimeout.TotalSeconds, "the nodes' last heartbeats to be older than the node timeout");
        await cluster.Redis.RestartAsync();
        var restarted = Stopwatch.StartNew();

        var probe = 0;
        await cluster.EventuallyAsync(
            async () => await cluster.ListsExactlyAsync(a, [idA, idB])
                && await cluster.PostStatusAsync(a, idB, $"probe {probe++}") == HttpStatusCode.OK
                && await cluster.PostStatusAsync(b, idA, $"probe {probe++}") == HttpStatusCode.OK,
            "the two clients, and only they, to be listed and reachable across nodes",
            Recovery);
        var normal = restarted.Elapsed;
        Assert.Equal(101, await Cluster.HandshakeStatusAsync(a));

        // The leaver got its one $disconnect when it left; the others got none, although Redis had them as dead nodes' entries.
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
        await WaitForEmptyOutboxAsync(cluster, redis);
        var disconnects = Disconnects(backend).Where(sent => sent.ConnectionId is var id && (id == idA || id == idB || id == leavingId)).ToList();
        Assert.Equal([leavingId], disconnects.Select(sent => sent.ConnectionId));
        Assert.Equal(1000, disconnects[0].RequestContext.GetProperty("disconnectStatusCode").GetInt32());
        Assert.Equal(HttpStatusCode.Gone, await cluster.GetStatusAsync(a, leavingId));
        Assert.Equal(2, await redis.GetDatabase().SortedSetLengthAsync("switchboard:connections"));
        output.WriteLine($"Redis down {down.Elapsed.TotalSeconds:0.0} s, restarted {(withItsData ? "with" : "without")} its data: handshakes refused with 503 in {refusedIn.TotalMilliseconds:0} ms while down; normal {normal.TotalMilliseconds:0} ms after the restart");
    }

    [Fact]
    public async Task NodeCutOffFromRedisByAProxy_ResetReconnectsAtOnce_IsolationRefusesWith503ThenDeclaresItDead_BlackHoleWaits_AndEachHeals()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2, BehindProxies: true), "--definition", await WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var proxy = cluster.ProxyOf(b);
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        await using var disposeA = clientA;
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        await using var disposeB = clientB;
        var probe = 0;
        async Task<bool> BothWaysAsync() =>
            await cluster.PostStatusAsync(a, idB, $"probe {probe++}") == HttpStatusCode.OK
            && await cluster.PostStatusAsync(b, idA, $"probe {probe++}") == HttpStatusCode.OK;

        // 1. Every connection between B and Redis is reset; B reconnects at once.
        proxy.CutAll();
        var cut = Stopwatch.StartNew();
        await cluster.EventuallyAsync(BothWaysAsync, "cross-node posts both ways after the reset", Recovery);
        var afterReset = cut.Elapsed;
        Assert.Equal("after the reset", await PostAndReceiveAsync(cluster, a, clientB, idB, "after the reset"));

        // 2. B is isolated: its connections are reset and new ones refused.
        proxy.RefuseNew();
        proxy.CutAll();
        var isolated = Stopwatch.StartNew();
        await cluster.EventuallyAsync(async () => await Cluster.HandshakeStatusAsync(b) == 503, "B to refuse handshakes");
        var refusing = Stopwatch.StartNew();
        Assert.Equal(503, await Cluster.HandshakeStatusAsync(b));
        var refusedIn = refusing.Elapsed;
        Assert.Equal("local while isolated", await PostAndReceiveAsync(cluster, b, clientB, idB, "local while isolated"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await cluster.PostStatusAsync(b, idA, "from the isolated node"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await cluster.PostStatusAsync(a, idB, "to the isolated node"));

        // Past the node timeout B is dead to the others: 410, and its connection's $disconnect (1006, node lost),
        // although its socket is still open.
        await cluster.EventuallyAsync(async () => await cluster.GetStatusAsync(a, idB) == HttpStatusCode.Gone, "A to answer 410 for B's connection");
        var declaredDead = isolated.Elapsed;
        var lost = await backend.NextEventAsync("$disconnect", Cluster.Bound);
        Assert.Equal(idB, lost.ConnectionId);
        Assert.Equal("Gateway node lost", lost.RequestContext.GetProperty("disconnectReason").GetString());
        Assert.True(declaredDead <= Cluster.NodeTimeout + TimeSpan.FromSeconds(3), $"410 came {declaredDead} after the isolation; the node timeout is {Cluster.NodeTimeout}");

        proxy.Heal();
        var healed = Stopwatch.StartNew();
        await cluster.EventuallyAsync(async () => await cluster.ListsExactlyAsync(a, [idA, idB]) && await BothWaysAsync(), "B's connection to be back in the registry and reachable", Recovery);
        var afterIsolation = healed.Elapsed;
        Assert.Equal(101, await Cluster.HandshakeStatusAsync(b));

        // 3. A black hole shorter than the node timeout: nothing fails, what was asked meanwhile waits and then succeeds.
        proxy.BlackHole();
        var blackHoled = Stopwatch.StartNew();
        var handshake = Cluster.HandshakeStatusAsync(b);
        var post = cluster.PostStatusAsync(a, idB, "through the black hole");
        await cluster.EventuallyAsync(async () => await HeartbeatAgeAsync(cluster, b) >= 1.5, "B's heartbeat to be held 1.5 s");
        proxy.Heal();
        Assert.Equal(101, await handshake);
        Assert.Equal(HttpStatusCode.OK, await post);
        var blackHoleAnswered = blackHoled.Elapsed;
        Assert.Equal("through the black hole", await ReceiveSkippingAsync(clientB, "local while isolated"));
        await cluster.EventuallyAsync(async () => await cluster.ListsExactlyAsync(a, [idA, idB]) && await BothWaysAsync(), "both connections listed and reachable", Recovery);
        var afterBlackHole = blackHoled.Elapsed;

        // The only $disconnect was the isolation's; the socket it was about is open and reachable again.
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
        await WaitForEmptyOutboxAsync(cluster, redis);
        Assert.Empty(Disconnects(backend).Where(sent => sent.ConnectionId == idA || sent.ConnectionId == idB).Select(sent => sent.ConnectionId));
        output.WriteLine(
            $"Node cut off from Redis by a proxy: after a reset normal in {afterReset.TotalMilliseconds:0} ms; isolated: handshakes refused with 503 in {refusedIn.TotalMilliseconds:0} ms, " +
            $"declared dead (410, $disconnect) {declaredDead.TotalMilliseconds:0} ms in, normal {afterIsolation.TotalMilliseconds:0} ms after healing; " +
            $"black hole of ~1.5 s: a handshake and a post begun in it answered 101/200 {blackHoleAnswered.TotalMilliseconds:0} ms after it began, normal {afterBlackHole.TotalMilliseconds:0} ms after it began");
    }

    private static async Task<string> PostAndReceiveAsync(Cluster cluster, ServerProcess via, TestClient client, string connectionId, string data)
    {
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(via, connectionId, data));
        return await ReceiveSkippingAsync(client, "");
    }

    /// <summary>The cluster's definition: the demo's <c>whoami</c>, and <c>$connect</c>, <c>$disconnect</c> and <c>$default</c> posting to <paramref name="backend"/>.</summary>
    internal static Task<string> WriteDefinitionAsync(RecordingBackend backend, string directory) =>
        backend.WriteDefinitionAsync(directory, "$connect", "$disconnect", "$default");

    /// <summary>The <c>$disconnect</c> events the backend has received so far (other events are dropped).</summary>
    private static List<RecordedEvent> Disconnects(RecordingBackend backend)
    {
        var disconnects = new List<RecordedEvent>();
        while (backend.TryTakeEvent(out var recorded))
        {
            if (recorded!.RouteKey == "$disconnect")
            {
                disconnects.Add(recorded);
            }
        }

        return disconnects;
    }

    /// <summary>
    /// Waits until no <c>$disconnect</c> is owed or being sent. Called once every node's heartbeat got through after the
    /// fault: a false purge would have happened by then, and waiting for the outbox to empty waits for its delivery.
    /// </summary>
    private static Task WaitForEmptyOutboxAsync(Cluster cluster, ConnectionMultiplexer redis) =>
        cluster.EventuallyAsync(async () => await RedisInspection.OwedOrTakenAsync(redis) == 0, "the $disconnect outbox to be empty");

    private static async Task<double> HeartbeatAgeAsync(Cluster cluster, ServerProcess node)
    {
        var (_, body) = await cluster.HealthAsync(node);
        using (body)
        {
            return body.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("data").GetProperty("heartbeatAgeSeconds").GetDouble();
        }
    }

    private static async Task<TimeSpan> TimePostAsync(Cluster cluster, ServerProcess via, string connectionId, string data)
    {
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(via, connectionId, data));
        return stopwatch.Elapsed;
    }

    private static async Task<string> ReceiveSkippingAsync(TestClient client, string skipped)
    {
        string message;
        while ((message = await client.ReceiveTextAsync()) == skipped || message.StartsWith("probe", StringComparison.Ordinal))
        {
        }

        return message;
    }

    private static TimeSpan Max(TimeSpan x, TimeSpan y) => x > y ? x : y;
}
