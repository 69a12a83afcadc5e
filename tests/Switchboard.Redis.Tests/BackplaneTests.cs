using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using Switchboard.Management;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// Three gateways in this process on one redis-server: what the backplane costs in Redis commands. The nodes share a
/// fake clock that the tests never advance, so no heartbeat, sweep or activity write runs after start-up and the
/// commands counted are the operation's own. (The contract itself — order, gone, broadcast counts, unknown
/// outcomes — is <see cref="RedisBackplaneConformanceTests"/>.)
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class BackplaneTests : IAsyncLifetime
{
    // Commands that are not the gateway's own work: the test's inspection, the client library's housekeeping.
    private static readonly string[] Housekeeping = ["info", "config", "ping", "echo", "client", "subscribe", "unsubscribe", "cluster", "select", "hello", "command", "auth", "time"];

    private readonly List<TestGateway> _nodes = [];
    private readonly ObservableFakeTimeProvider _time = new();
    private readonly HttpClient _http = new();
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _inspection = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _inspection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration + ",allowAdmin=true");
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Registry:Redis:Configuration"] = _redis.Configuration,
            // Redis expires liveness keys on its own clock.
            ["Switchboard:Registry:Redis:NodeTimeout"] = "00:05:00",
        };
        for (var i = 0; i < 3; i++)
        {
            _nodes.Add(await TestGateway.StartAsync(
                settings,
                switchboard =>
                {
                    switchboard.AddRedisScaleOut();
                    switchboard.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time));
                },
                useSqlite: false));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _inspection.DisposeAsync();
        await _redis.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task PostToAConnectionOnThisNode_SendsNoCommandToRedis()
    {
        var (client, id) = await _nodes[0].ConnectAndIdentifyAsync(_http);
        await using var _ = client;
        var manager = _nodes[0].Services.GetRequiredService<ConnectionManager>();

        var commands = await CountCommandsAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(PostResult.Delivered, await manager.PostAsync(id, Encoding.UTF8.GetBytes($"local {i}")));
            }
        });

        Assert.Empty(commands);
        Assert.Equal("local 49", (await ReceiveAllAsync(client, 50))[^1]);
    }

    [Fact]
    public async Task PostToAConnectionOnAnotherNode_CostsOneLookupAndTwoPublishes()
    {
        var (client, id) = await _nodes[2].ConnectAndIdentifyAsync(_http);
        await using var _ = client;

        // The first use of a script on a connection sends it whole (EVAL, then SCRIPT LOAD); from then on EVALSHA.
        using (var warmUp = await _http.GetAsync(_nodes[0].ConnectionUri(id)))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var commands = await CountCommandsAsync(async () =>
        {
            using var response = await _http.PostAsync(_nodes[0].ConnectionUri(id), new StringContent("cross-node"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        // EVALSHA runs the lookup script (HMGET + EXISTS inside); PUBLISH the request and the owning node's answer.
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["hmget"] = 1, ["exists"] = 1, ["publish"] = 2 }, commands);
        Assert.Equal("cross-node", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Broadcast_PublishesOnce_PlusOneAnswerPerOtherNode_WhateverTheNumberOfConnections()
    {
        var clients = new List<TestClient>();
        try
        {
            foreach (var node in _nodes)
            {
                for (var i = 0; i < 4; i++)
                {
                    clients.Add((await node.ConnectAndIdentifyAsync(_http)).Client);
                }
            }

            var manager = _nodes[1].Services.GetRequiredService<ConnectionManager>();
            long recipients = 0;
            var commands = await CountCommandsAsync(async () => recipients = await manager.BroadcastAsync("to all twelve"u8.ToArray()));

            Assert.Equal(12, recipients);
            Assert.Equal(new Dictionary<string, long> { ["publish"] = 3 }, commands);
            foreach (var client in clients)
            {
                Assert.Equal("to all twelve", await client.ReceiveTextAsync());
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<List<string>> ReceiveAllAsync(TestClient client, int count)
    {
        var messages = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            messages.Add(await client.ReceiveTextAsync());
        }

        return messages;
    }

    /// <summary>The Redis commands (with calls made inside scripts) that <paramref name="operation"/> caused.</summary>
    private async Task<Dictionary<string, long>> CountCommandsAsync(Func<Task> operation)
    {
        var server = _inspection.GetServer(_redis.Configuration);
        await server.ExecuteAsync("CONFIG", "RESETSTAT");
        await operation();
        var stats = (string)(await server.ExecuteAsync("INFO", "commandstats"))!;
        return stats.Split('\n')
            .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(line => (Name: line["cmdstat_".Length..line.IndexOf(':', StringComparison.Ordinal)], Calls: long.Parse(line.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture)))
            .Where(stat => !Housekeeping.Any(prefix => stat.Name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(stat => stat.Name, stat => stat.Calls);
    }
}
