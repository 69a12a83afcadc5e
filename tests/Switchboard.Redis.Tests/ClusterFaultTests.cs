using System.Diagnostics;
using System.Net;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>Crashed nodes and Redis faults, each on a cluster of its own.</summary>
[Collection(ClusterGroup.Name)]
public sealed class ClusterFaultTests
{
    [Fact]
    public async Task SigkilledNode_ItsConnectionsAnswer410ElsewhereWithinTheNodeTimeout_LeaveTheListing_AndARestartLosesNothingElse()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        var (clientC, idC) = await Cluster.ConnectAsync(c);
        await using var disposeA = clientA;
        await using var disposeB = clientB;
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(a, idC, "before the crash"));
        Assert.Equal("before the crash", await clientC.ReceiveTextAsync());

        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(c);
        clientC.Socket.Abort();
        await clientC.DisposeAsync();

        await cluster.EventuallyAsync(async () => await cluster.GetStatusAsync(a, idC) == HttpStatusCode.Gone, "A to answer 410 for C's connection");
        var goneAfter = killed.Elapsed;
        Assert.True(goneAfter <= Cluster.NodeTimeout + TimeSpan.FromSeconds(1), $"410 came {goneAfter} after the kill; the node timeout is {Cluster.NodeTimeout}");
        Assert.Equal(HttpStatusCode.Gone, await cluster.PostStatusAsync(b, idC, "anyone?"));
        Assert.Equal(new[] { idA, idB }.Order(StringComparer.Ordinal), await cluster.ListAsync(a));

        // Purged from Redis too, by whichever node swept first.
        await using (var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration))
        {
            await cluster.EventuallyAsync(async () => !await redis.GetDatabase().KeyExistsAsync($"switchboard:connection:{idC}"), "C's entry to be purged", Cluster.NodeTimeout + Cluster.HeartbeatInterval * 2 + TimeSpan.FromSeconds(2));
            Assert.Equal(2, await redis.GetDatabase().SortedSetLengthAsync("switchboard:connections"));
        }

        // A restarted node is a new node: other nodes' entries stay, once each.
        var restarted = await cluster.StartNodeAsync();
        cluster.Nodes.Add(restarted);
        var (clientNew, idNew) = await Cluster.ConnectAsync(restarted);
        await using var disposeNew = clientNew;
        Assert.Equal(new[] { idA, idB, idNew }.Order(StringComparer.Ordinal), await cluster.ListAsync(b));
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(a, idNew, "to the new node"));
        Assert.Equal("to the new node", await clientNew.ReceiveTextAsync());
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(restarted, idB, "from the new node"));
        Assert.Equal("from the new node", await clientB.ReceiveTextAsync());
    }

    [Fact]
    public async Task StalledNode_Posts503AfterTheRequestTimeout_Then410_AndOnResumingReRegisters_WithoutDeliveringTheStalePost()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var (a, c) = (cluster.Nodes[0], cluster.Nodes[2]);
        var (client, id) = await Cluster.ConnectAsync(c);
        await using var _ = client;

        await Cluster.SignalAsync(c, "STOP");
        var stalled = Stopwatch.StartNew();
        try
        {
            // The node still listens (its socket is open), so the post waits for an answer that cannot come.
            using (var post = await cluster.PostAsync(a, id, "stale"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
                Assert.Equal("ServiceUnavailableException", post.Headers.GetValues("x-amzn-ErrorType").Single());
                Assert.InRange(stalled.Elapsed, Cluster.RequestTimeout, Cluster.RequestTimeout + TimeSpan.FromSeconds(3));
            }

            await cluster.EventuallyAsync(async () => await cluster.GetStatusAsync(a, id) == HttpStatusCode.Gone, "the stalled node to be declared dead");
            Assert.True(stalled.Elapsed <= Cluster.NodeTimeout + TimeSpan.FromSeconds(1), $"410 came {stalled.Elapsed} after the stall; the node timeout is {Cluster.NodeTimeout}");
        }
        finally
        {
            await Cluster.SignalAsync(c, "CONT");
        }

        // The node was never gone: its client is still connected and comes back into the registry.
        await cluster.EventuallyAsync(async () => await cluster.GetStatusAsync(a, id) == HttpStatusCode.OK, "the resumed node to re-register its connection");
        Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(a, id, "after resuming"));

        // The post that was answered 503 was dropped when the node got to it, past its deadline.
        Assert.Equal("after resuming", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task RedisRestart_NodesKeepTheirClients_ReRegisterThemOnce_AndDeliveryResumesWithoutDuplicates()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var clients = new[] { await Cluster.ConnectAsync(a), await Cluster.ConnectAsync(b), await Cluster.ConnectAsync(c) };
        var (leaving, leavingId) = await Cluster.ConnectAsync(c);
        try
        {
            await cluster.Redis.KillAsync();

            // While Redis is down: local connections live on and posts to them on their own node work; what needs
            // Redis answers 503; a client that leaves now must not come back as a ghost.
            await cluster.EventuallyAsync(async () => await HealthStatusAsync(cluster, a) == "Degraded", "A to report itself degraded");
            Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(a, clients[0].Id, "local while Redis is down"));
            Assert.Equal("local while Redis is down", await clients[0].Client.ReceiveTextAsync());
            using (var crossNode = await cluster.PostAsync(a, clients[2].Id, "cross-node while Redis is down"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, crossNode.StatusCode);
                Assert.Equal("ServiceUnavailableException", crossNode.Headers.GetValues("x-amzn-ErrorType").Single());
            }

            using (var broadcast = await cluster.Http.PostAsync(new Uri($"{a.ManagementEndpoint()}/@broadcast"), new StringContent("broadcast while Redis is down")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, broadcast.StatusCode);
            }

            // It reached the asked node's own clients before the 503.
            Assert.Equal("broadcast while Redis is down", await clients[0].Client.ReceiveTextAsync());
            Assert.Equal(503, await Cluster.HandshakeStatusAsync(b));
            await leaving.CloseAsync();
            await leaving.DisposeAsync();

            await cluster.Redis.RestartAsync();

            // Every node re-registers its clients once, and its subscriptions come back.
            var ids = clients.Select(client => client.Id).Order(StringComparer.Ordinal).ToList();
            foreach (var node in cluster.Nodes)
            {
                await cluster.EventuallyAsync(async () => await HealthStatusAsync(cluster, node) == "Healthy", $"node on port {node.Port} to be healthy again");
            }

            await cluster.EventuallyAsync(async () => (await cluster.ListAsync(a)).SequenceEqual(ids), "the three clients to be listed once each, and the leaver not at all");
            Assert.Equal(HttpStatusCode.Gone, await cluster.GetStatusAsync(b, leavingId));

            // Probes until each cross-node path answers 200; a probe answered 503 may still have arrived, so probes
            // are told apart from the messages counted below.
            var probe = 0;
            var routes = new[] { (Via: b, To: 0), (Via: c, To: 1), (Via: a, To: 2) };
            foreach (var (via, to) in routes)
            {
                await cluster.EventuallyAsync(async () => await cluster.PostStatusAsync(via, clients[to].Id, $"probe {probe++}") == HttpStatusCode.OK, "cross-node delivery to resume");
            }

            foreach (var (via, to) in routes)
            {
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(via, clients[to].Id, $"post {i}"));
                }
            }

            using (var broadcast = await cluster.Http.PostAsync(new Uri($"{b.ManagementEndpoint()}/@broadcast"), new StringContent("broadcast after restart")))
            {
                Assert.Equal(HttpStatusCode.OK, broadcast.StatusCode);
                using var body = JsonDocument.Parse(await broadcast.Content.ReadAsStringAsync());
                Assert.Equal(3, body.RootElement.GetProperty("recipients").GetInt64());
            }

            foreach (var (via, to) in routes)
            {
                Assert.Equal(HttpStatusCode.OK, await cluster.PostStatusAsync(via, clients[to].Id, "end"));
            }

            // Each client got every post exactly once and in order, and the broadcast exactly once.
            foreach (var (client, _) in clients)
            {
                var received = new List<string>();
                string message;
                while ((message = await client.ReceiveTextAsync()) != "end")
                {
                    if (!message.StartsWith("probe ", StringComparison.Ordinal))
                    {
                        received.Add(message);
                    }
                }

                Assert.Equal(Enumerable.Range(0, 20).Select(i => $"post {i}"), received.Where(m => m.StartsWith("post ", StringComparison.Ordinal)));
                Assert.Single(received, "broadcast after restart");
                Assert.Equal(21, received.Count);
            }

            // The registry holds each entry once.
            await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
            Assert.Equal(3, await redis.GetDatabase().SortedSetLengthAsync("switchboard:connections"));
        }
        finally
        {
            foreach (var (client, _) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Node_WithUnreachableRedis_RefusesToStart_NamingRedis()
    {
        using var directory = new TemporaryDirectory();
        var unreachable = $"127.0.0.1:{ServerProcess.FreePort()},connectTimeout=1000";

        var (exitCode, output) = await ServerProcess.RunToExitAsync(
            directory.Path,
            ["--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}", .. Cluster.NodeArguments(unreachable)]);

        Assert.Equal(2, exitCode);
        Assert.Contains("Switchboard cannot start: Redis (127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("unreachable", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"Switchboard\":{\"Registry\":{\"Provider\":\"redis\"}}}", "Switchboard:Registry:Redis:Configuration: is required for Redis")]
    [InlineData("{\"Switchboard\":{\"Registry\":{\"Provider\":\"redis\",\"Redis\":{\"Configuration\":\"127.0.0.1:6379,nonsense=1\"}}}}", "Switchboard:Registry:Redis:Configuration: not a valid StackExchange.Redis configuration string")]
    [InlineData("{\"Switchboard\":{\"Registry\":{\"Provider\":\"redis\",\"Redis\":{\"Configuration\":\"127.0.0.1:6379\",\"HeartbeatInterval\":\"00:00:06\"}}}}", "Switchboard:Registry:Redis:NodeTimeout:")]
    public async Task ConfigCheck_OfABadRedisRegistry_ListsTheKeyPath(string definition, string expected)
    {
        using var directory = new TemporaryDirectory();
        var file = Path.Combine(directory.Path, "api.json");
        await File.WriteAllTextAsync(file, definition);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(directory.Path, ["config", "check", file]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    private static async Task<string?> HealthStatusAsync(Cluster cluster, ServerProcess node)
    {
        var (_, body) = await cluster.HealthAsync(node);
        using (body)
        {
            return body.RootElement.GetProperty("status").GetString();
        }
    }
}
