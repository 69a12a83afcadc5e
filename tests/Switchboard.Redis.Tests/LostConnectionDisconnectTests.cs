using System.Diagnostics;
using StackExchange.Redis;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// A killed node's connections get their <c>$disconnect</c> from a surviving node: once when all goes well, and again
/// when the node sending it dies before it is delivered (at least once).
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class LostConnectionDisconnectTests
{
    [Fact]
    public async Task SigkilledNode_ASurvivingNodeSendsOneDisconnectPerConnection_WithinTheNodeTimeout()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        await using var cluster = await Cluster.StartAsync(3, "--definition", await backend.WriteDisconnectDefinitionAsync(directory.Path));
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (clientA, idA) = await Cluster.ConnectAsync(a);
        await using var disposeA = clientA;
        var (clientB, idB) = await Cluster.ConnectAsync(b);
        var (otherB, otherIdB) = await Cluster.ConnectAsync(b);

        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(b);
        foreach (var client in new[] { clientB, otherB })
        {
            client.Socket.Abort();
            await client.DisposeAsync();
        }

        var first = await backend.NextEventAsync("$disconnect", Cluster.Bound);
        var second = await backend.NextEventAsync("$disconnect", Cluster.Bound);
        var after = killed.Elapsed;
        Assert.True(after <= Cluster.NodeTimeout + TimeSpan.FromSeconds(3), $"$disconnect came {after} after the kill; the node timeout is {Cluster.NodeTimeout}");
        Assert.Equal(new[] { idB, otherIdB }.Order(StringComparer.Ordinal), new[] { first.ConnectionId, second.ConnectionId }.Order(StringComparer.Ordinal));
        foreach (var sent in new[] { first, second })
        {
            Assert.Equal(1006, sent.RequestContext.GetProperty("disconnectStatusCode").GetInt32());
            Assert.Equal("Gateway node lost", sent.RequestContext.GetProperty("disconnectReason").GetString());
            Assert.Equal("127.0.0.1", sent.RequestContext.GetProperty("identity").GetProperty("sourceIp").GetString());
            Assert.True(sent.RequestContext.GetProperty("connectedAt").GetInt64() > 0);
        }

        // Delivered and completed: nothing owed or taken is left, and no second copy was sent.
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
        await cluster.EventuallyAsync(async () => await RedisInspection.OwedOrTakenAsync(redis) == 0, "the outbox to empty");
        Assert.False(backend.TryTakeEvent(out var extra), $"unexpected {extra?.RouteKey} for {extra?.ConnectionId}");
        Assert.NotEqual(idA, first.ConnectionId);
    }

    [Fact]
    public async Task SenderKilledBeforeDelivery_AnotherSurvivingNodeSendsTheDisconnectAgain()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var firstDelivery = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deliveries = 0;
        // The first $disconnect never gets an answer: its sender is killed while it waits.
        backend.Respond("disconnect", async _ =>
        {
            if (Interlocked.Increment(ref deliveries) == 1)
            {
                firstDelivery.TrySetResult();
                await release.Task;
            }

            return (200, "");
        });
        await using var cluster = await Cluster.StartAsync(3, "--definition", await backend.WriteDisconnectDefinitionAsync(directory.Path));
        try
        {
            await SendAgainAfterTheSenderIsKilledAsync(cluster, backend, firstDelivery.Task);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    private static async Task SendAgainAfterTheSenderIsKilledAsync(Cluster cluster, RecordingBackend backend, Task firstDelivery)
    {
        var c = cluster.Nodes[2];
        var (client, id) = await Cluster.ConnectAsync(c);
        await cluster.KillAsync(c);
        client.Socket.Abort();
        await client.DisposeAsync();

        var undelivered = await backend.NextEventAsync("$disconnect", Cluster.Bound);
        Assert.Equal(id, undelivered.ConnectionId);
        await firstDelivery.WaitAsync(Cluster.Bound);

        // The node that took it holds it in its own list; kill that node.
        await using var redis = await RedisInspection.ConnectAsync(cluster.Redis.Configuration);
        var takerId = await TakerAsync(redis);
        ServerProcess? taker = null;
        foreach (var node in cluster.Nodes)
        {
            if ((await cluster.HealthAsync(node)).Body.RootElement.GetRawText().Contains(takerId, StringComparison.Ordinal))
            {
                taker = node;
            }
        }

        Assert.NotNull(taker);
        await cluster.KillAsync(taker);

        var resent = await backend.NextEventAsync("$disconnect", Cluster.Bound);
        Assert.Equal(id, resent.ConnectionId);
        Assert.Equal(undelivered.RequestContext.GetProperty("connectedAt").GetInt64(), resent.RequestContext.GetProperty("connectedAt").GetInt64());
        await cluster.EventuallyAsync(async () => await RedisInspection.OwedOrTakenAsync(redis) == 0, "the outbox to empty");
    }

    /// <summary>The node holding a taken entry, from its list's name <c>switchboard:node:{node}:lost</c>.</summary>
    private static async Task<string> TakerAsync(ConnectionMultiplexer redis)
    {
        foreach (var key in RedisInspection.TakenLists(redis))
        {
            if (await redis.GetDatabase().ListLengthAsync(key) > 0)
            {
                return ((string)key!)["switchboard:node:".Length..^":lost".Length];
            }
        }

        throw new InvalidOperationException("no node holds a taken entry");
    }
}
