using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// The backplane contract (<see cref="BackplaneConformanceTests"/>, shared with the single-node backplane) against
/// Redis: three gateways in this process on one redis-server, each test under its own key prefix.
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class RedisBackplaneConformanceTests(RedisServerFixture redis) : ClusteredBackplaneConformanceTests, IClassFixture<RedisServerFixture>
{
    private readonly string _prefix = RedisServerFixture.NewPrefix();
    private ConnectionMultiplexer? _silentNode;

    protected override int NodeCount => 3;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_silentNode is not null)
        {
            await _silentNode.DisposeAsync();
        }
    }

    protected override Task<TestGateway> StartNodeAsync(Dictionary<string, string?> settings, Action<ISwitchboardBuilder> suiteServices)
    {
        settings["Switchboard:Registry:Redis:Configuration"] = redis.Server.Configuration;
        settings["Switchboard:Registry:Redis:KeyPrefix"] = _prefix;
        // Long enough for 300 pipelined posts on a busy machine, short enough to wait out in the unknown-outcome tests.
        settings["Switchboard:Registry:Redis:RequestTimeout"] = "00:00:02";
        return TestGateway.StartAsync(settings, switchboard =>
        {
            suiteServices(switchboard);
            switchboard.AddRedisScaleOut();
        }, useSqlite: false);
    }

    /// <summary>
    /// A node that exists only in Redis: a liveness key, and subscriptions to its inbox and the broadcast channel
    /// that read every message and answer none.
    /// </summary>
    protected override async Task<string> StartSilentNodeAsync()
    {
        const string NodeId = "node-silent";
        _silentNode = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var subscriber = _silentNode.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Literal($"{_prefix}:inbox:{NodeId}"), (_, _) => { });
        await subscriber.SubscribeAsync(RedisChannel.Literal($"{_prefix}:broadcast"), (_, _) => { });
        await _silentNode.GetDatabase().StringSetAsync($"{_prefix}:alive:{NodeId}", "1");
        return NodeId;
    }
}
