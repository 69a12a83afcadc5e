using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.Redis.Tests;

/// <summary>
/// A node SIGKILLed while clients connect, post and close on it, and while a connection it holds is between its close
/// and its <c>$disconnect</c>: every <c>$connect</c> still gets its <c>$disconnect</c>, nothing acknowledged to a surviving
/// node's client is lost, and no ghost is left.
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class NodeKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConnectionClosedWhileAMessageRuns_NodeKilledBeforeItsDisconnect_ASurvivorSendsTheDisconnect()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Respond("default", async _ =>
        {
            await release.Task;
            return (200, "{\"statusCode\":200}");
        });
        await using var cluster = await Cluster.StartAsync(
            new ClusterShape(2),
            "--definition", await RedisFaultTests.WriteDefinitionAsync(backend, directory.Path),
            "--Logging:LogLevel:Switchboard.Connections=Debug");
        try
        {
            var b = cluster.Nodes[1];
            var (client, id) = await Cluster.ConnectAsync(b);
            await client.SendTextAsync("slow");
            await backend.NextEventAsync("$default", Cluster.Bound);

            // The client leaves; its $disconnect waits for the running message (as it must: it is the last event).
            await client.CloseAsync();
            await client.DisposeAsync();
            await b.WaitForOutputAsync($"Connection {id} from");
            var killed = Stopwatch.StartNew();
            await cluster.KillAsync(b);

            // Its entry was still in the registry, so the node's loss owes it the $disconnect.
            var disconnect = await backend.NextEventAsync("$disconnect", Cluster.Bound);
            Assert.Equal(id, disconnect.ConnectionId);
            Assert.Equal(1006, disconnect.RequestContext.GetProperty("disconnectStatusCode").GetInt32());
            Assert.Equal("Gateway node lost", disconnect.RequestContext.GetProperty("disconnectReason").GetString());
            Assert.True(killed.Elapsed <= Cluster.NodeTimeout + TimeSpan.FromSeconds(5), $"$disconnect came {killed.Elapsed} after the kill");
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task NodeSigkilledDuringChurn_EveryConnectGetsItsDisconnect_AcknowledgedPostsToSurvivorsArriveOnce_NoGhosts()
    {
        const int Workers = 6;
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(new ClusterShape(2), "--definition", await RedisFaultTests.WriteDefinitionAsync(backend, directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var churn = new Churn(cluster, a, b);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Workers).Select(worker => Task.Run(() => churn.RunAsync(worker, stop.Token))).ToList();

        await cluster.EventuallyAsync(() => Task.FromResult(churn.Cycles >= 30), "30 churn cycles before the kill");
        // Whether a churning client is connected to the victim at the instant of the kill is luck; this one surely is,
        // so the kill surely loses a connection that is owed its $disconnect.
        var (sentinel, sentinelId) = await Cluster.ConnectAsync(b);
        await using var _ = sentinel;
        await cluster.EventuallyAsync(() => Task.FromResult(churn.OpenOnVictim > 0), "a client of the node to kill in mid-cycle");
        var killedAtCycle = churn.Cycles;
        var killed = Stopwatch.StartNew();
        churn.VictimKilled = true;
        await cluster.KillAsync(b);
        await cluster.EventuallyAsync(() => Task.FromResult(churn.Cycles >= killedAtCycle + 40), "40 churn cycles after the kill");
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        // What clients saw: those of the killed node lost their sockets; the survivor's clients saw nothing.
        Assert.Empty(churn.Violations);

        // Every $connect gets its $disconnect: once for the survivor's connections, at least once for the killed node's
        // (from the survivor, 1006 "Gateway node lost", for those it held when it died).
        var connects = new Dictionary<string, string>(StringComparer.Ordinal);
        var disconnects = new Dictionary<string, List<RecordedEvent>>(StringComparer.Ordinal);
        await cluster.EventuallyAsync(
            () =>
            {
                while (backend.TryTakeEvent(out var recorded))
                {
                    if (recorded!.RouteKey == "$connect")
                    {
                        connects[recorded.ConnectionId] = recorded.RequestContext.GetProperty("domainName").GetString()!;
                    }
                    else if (recorded.RouteKey == "$disconnect")
                    {
                        disconnects.TryAdd(recorded.ConnectionId, []);
                        disconnects[recorded.ConnectionId].Add(recorded);
                    }
                }

                return Task.FromResult(connects.Keys.All(disconnects.ContainsKey));
            },
            "every $connect to have its $disconnect");
        var allDisconnected = killed.Elapsed;
        var survivorHost = $"127.0.0.1:{a.Port}";
        var lost = 0;
        foreach (var (id, host) in connects)
        {
            if (host == survivorHost)
            {
                Assert.Single(disconnects[id]);
            }
            else if (disconnects[id].Any(sent => sent.RequestContext.GetProperty("disconnectReason").GetString() == "Gateway node lost"))
            {
                lost++;
            }
        }

        Assert.Contains(disconnects[sentinelId], sent => sent.RequestContext.GetProperty("disconnectReason").GetString() == "Gateway node lost");
        Assert.True(allDisconnected <= Cluster.NodeTimeout + TimeSpan.FromSeconds(5), $"the last $disconnect came {allDisconnected} after the kill");

        // No ghosts: every client is closed, so nothing is listed and nothing is left in Redis.
        await cluster.EventuallyAsync(async () => (await cluster.ListAsync(a)).Count == 0, "the listing to be empty");
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
        await cluster.EventuallyAsync(async () => await redis.GetDatabase().SortedSetLengthAsync("switchboard:connections") == 0, "no entry left in Redis");
        var twice = disconnects.Count(entry => entry.Value.Count > 1);
        output.WriteLine(
            $"SIGKILL during churn ({Workers} clients connecting, posting, closing): {churn.Cycles} cycles, {connects.Count} $connect, " +
            $"{churn.Acknowledged} posts answered 200 ({churn.AcknowledgedToSurvivor} to the survivor's clients, all delivered once), " +
            $"{churn.LostSockets} sockets of the killed node ended, {lost} lost-node $disconnects, {twice} connections with two; every $disconnect in {allDisconnected.TotalMilliseconds:0} ms after the kill");
    }

    /// <summary>
    /// Clients that connect to either node, receive posts made through the other (or, once the victim is dead, through
    /// the survivor), and close. Records what a client saw that it must not: a lost acknowledged post, a duplicate, a
    /// survivor's socket that ended.
    /// </summary>
    private sealed class Churn(Cluster cluster, ServerProcess survivor, ServerProcess victim)
    {
        private int _cycles;
        private int _acknowledged;
        private int _acknowledgedToSurvivor;
        private int _lostSockets;
        private int _openOnVictim;

        public volatile bool VictimKilled;

        public int Cycles => Volatile.Read(ref _cycles);

        public int Acknowledged => Volatile.Read(ref _acknowledged);

        public int AcknowledgedToSurvivor => Volatile.Read(ref _acknowledgedToSurvivor);

        public int LostSockets => Volatile.Read(ref _lostSockets);

        /// <summary>Clients connected to the victim whose cycle has not ended.</summary>
        public int OpenOnVictim => Volatile.Read(ref _openOnVictim);

        public ConcurrentQueue<string> Violations { get; } = [];

        public async Task RunAsync(int worker, CancellationToken stop)
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var node = (worker + round) % 2 == 0 ? survivor : victim;
                await CycleAsync(node, $"{worker}.{round}");
                Interlocked.Increment(ref _cycles);
            }
        }

        private async Task CycleAsync(ServerProcess node, string name)
        {
            TestClient client;
            string id;
            try
            {
                (client, id) = await Cluster.ConnectAsync(node);
            }
            catch (Exception exception) when (IsConnectionFailure(exception))
            {
                if (node == survivor)
                {
                    Violations.Enqueue($"{name}: a handshake with the surviving node failed: {exception.Message}");
                }

                return;
            }

            await using var _ = client;
            if (node == victim)
            {
                Interlocked.Increment(ref _openOnVictim);
            }

            try
            {
                await PostAndCloseAsync(node, name, client, id);
            }
            finally
            {
                if (node == victim)
                {
                    Interlocked.Decrement(ref _openOnVictim);
                }
            }
        }

        private async Task PostAndCloseAsync(ServerProcess node, string name, TestClient client, string id)
        {
            var acknowledged = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var via = node == survivor && !VictimKilled ? victim : survivor;
                var payload = $"{name}.{i}";
                try
                {
                    if (await cluster.PostStatusAsync(via, id, payload) == HttpStatusCode.OK)
                    {
                        acknowledged.Add(payload);
                    }
                }
                catch (HttpRequestException)
                {
                    // The victim died while answering: not acknowledged, so it may or may not arrive.
                }
            }

            Interlocked.Add(ref _acknowledged, acknowledged.Count);
            if (node == survivor)
            {
                Interlocked.Add(ref _acknowledgedToSurvivor, acknowledged.Count);
            }

            var received = new List<string>();
            try
            {
                while (!acknowledged.All(received.Contains))
                {
                    received.Add(await client.ReceiveTextAsync(TimeSpan.FromSeconds(10)));
                }

                await client.CloseAsync();
            }
            catch (Exception exception) when (IsConnectionFailure(exception))
            {
                Interlocked.Increment(ref _lostSockets);
                if (node == survivor)
                {
                    Violations.Enqueue($"{name}: a client of the surviving node lost its socket or an acknowledged post: {exception.Message}");
                }
            }

            if (received.Count != received.Distinct(StringComparer.Ordinal).Count())
            {
                Violations.Enqueue($"{name}: a post arrived twice: {string.Join(", ", received)}");
            }
        }

        private static bool IsConnectionFailure(Exception exception) =>
            exception is WebSocketException or HttpRequestException or OperationCanceledException or TimeoutException or IOException or ObjectDisposedException;
    }
}
