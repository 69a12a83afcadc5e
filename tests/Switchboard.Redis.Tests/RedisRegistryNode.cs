using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Redis.Tests;

/// <summary>One node's Redis registry, started in the test process against a <see cref="Testing.RedisServer"/>.</summary>
internal sealed class RedisRegistryNode : IAsyncDisposable
{
    private bool _stopped;

    private RedisRegistryNode(RedisConnection connection, RedisConnectionRegistry registry, RedisNodeLiveness liveness, NodeIdentity node, RedisScaleOutOptions options)
    {
        Connection = connection;
        Registry = registry;
        Liveness = liveness;
        Node = node;
        Options = options;
    }

    public RedisConnection Connection { get; }

    public RedisConnectionRegistry Registry { get; }

    public RedisNodeLiveness Liveness { get; }

    public NodeIdentity Node { get; }

    public RedisScaleOutOptions Options { get; }

    /// <param name="time">The clock of the node (heartbeats); the system clock unless given.</param>
    public static async Task<RedisRegistryNode> StartAsync(string configuration, string keyPrefix, TimeSpan? heartbeat = null, TimeSpan? nodeTimeout = null, TimeProvider? time = null)
    {
        var options = new RedisScaleOutOptions
        {
            Configuration = configuration,
            KeyPrefix = keyPrefix,
            HeartbeatInterval = heartbeat ?? TimeSpan.FromMilliseconds(200),
            NodeTimeout = nodeTimeout ?? TimeSpan.FromSeconds(2),
        };
        var switchboard = Microsoft.Extensions.Options.Options.Create(options);
        var node = new NodeIdentity();
        var connection = new RedisConnection(switchboard, node, TimeProvider.System, NullLogger<RedisConnection>.Instance);
        await connection.StartAsync(CancellationToken.None);
        var registry = new RedisConnectionRegistry(connection);
        var liveness = new RedisNodeLiveness(connection, registry, switchboard, node, time ?? TimeProvider.System, NullLogger<RedisNodeLiveness>.Instance);
        await liveness.StartAsync(CancellationToken.None);
        return new RedisRegistryNode(connection, registry, liveness, node, options);
    }

    /// <summary>A graceful stop: the node removes what it holds and leaves.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await Liveness.StopAsync(CancellationToken.None);
        await Connection.StopAsync(CancellationToken.None);
        Liveness.Dispose();
        await Connection.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>A plain client for looking at what the registry wrote, bypassing it.</summary>
internal static class RedisInspection
{
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration) =>
        await ConnectionMultiplexer.ConnectAsync(configuration + ",abortConnect=false,allowAdmin=true");

    /// <summary>Owed <c>$disconnect</c> events (default key prefix): entries in the outbox plus those taken by any node.</summary>
    public static async Task<long> OwedOrTakenAsync(ConnectionMultiplexer redis)
    {
        var database = redis.GetDatabase();
        var total = await database.ListLengthAsync("switchboard:lost");
        foreach (var key in TakenLists(redis))
        {
            total += await database.ListLengthAsync(key);
        }

        return total;
    }

    /// <summary>The nodes' lists of taken outbox entries, <c>switchboard:node:{node}:lost</c>.</summary>
    public static IEnumerable<RedisKey> TakenLists(ConnectionMultiplexer redis) =>
        redis.GetServers().Single().Keys(pattern: "switchboard:node:*:lost");
}
