using Switchboard.Registry;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>The registry contract (<see cref="RegistryConformanceTests"/>, shared with SQLite and in-memory) against Redis.</summary>
public sealed class RedisRegistryConformanceTests(RedisServerFixture redis) : RegistryConformanceTests, IClassFixture<RedisServerFixture>
{
    private RedisRegistryNode? _node;

    public override async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    protected override async Task<IConnectionRegistry> CreateRegistryAsync()
    {
        var prefix = RedisServerFixture.NewPrefix();
        _node = await RedisRegistryNode.StartAsync(redis.Server.Configuration, prefix);

        // The suite's records belong to "node-test". A Redis registry hides entries of nodes without a liveness key
        // (dead nodes), so the test environment gives that node one, without expiry.
        await using var inspection = await RedisInspection.ConnectAsync(redis.Server.Configuration);
        await inspection.GetDatabase().StringSetAsync($"{prefix}:alive:node-test", "1");
        return _node.Registry;
    }
}
