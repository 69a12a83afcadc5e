using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// A cluster on one machine: a redis-server of its own and gateway nodes, each the real executable
/// (<see cref="ServerProcess"/>) started with the Redis provider and short heartbeat and node timeouts.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The bound of every poll: generous, since a poll ends as soon as its condition holds.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly TemporaryDirectory _directory = new();
    private readonly List<ServerProcess> _retired = [];

    private readonly string[] _extraArguments;
    private readonly bool _behindProxies;

    private Cluster(RedisServer redis, bool behindProxies, string[] extraArguments) => (Redis, _behindProxies, _extraArguments) = (redis, behindProxies, extraArguments);

    public RedisServer Redis { get; }

    /// <summary>With <see cref="ClusterShape.BehindProxies"/>: each node's own proxy to Redis, by the node's process id.</summary>
    public Dictionary<int, TcpProxy> Proxies { get; } = [];

    /// <summary>The running nodes; index 0 is "A", 1 "B", 2 "C".</summary>
    public List<ServerProcess> Nodes { get; } = [];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Starts Redis and <paramref name="nodes"/> nodes, each also given <paramref name="extraArguments"/> (a <c>--definition</c>, say).</summary>
    public static Task<Cluster> StartAsync(int nodes = 3, params string[] extraArguments) =>
        StartAsync(new ClusterShape(nodes), extraArguments);

    /// <summary>Starts Redis and the nodes as <paramref name="shape"/> says, each node also given <paramref name="extraArguments"/>.</summary>
    public static async Task<Cluster> StartAsync(ClusterShape shape, params string[] extraArguments)
    {
        var cluster = new Cluster(await RedisServer.StartAsync(shape.PersistentRedis), shape.BehindProxies, extraArguments);
        try
        {
            cluster.Nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, shape.Nodes).Select(_ => cluster.StartNodeAsync())));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Starts one more node process (not added to <see cref="Nodes"/>); behind a proxy of its own when the cluster's nodes are.</summary>
    public async Task<ServerProcess> StartNodeAsync()
    {
        if (!_behindProxies)
        {
            return await ServerProcess.StartAsync(_directory.Path, [.. NodeArguments(Redis.Configuration), .. _extraArguments]);
        }

        var proxy = TcpProxy.Start(Redis.Port);
        var node = await ServerProcess.StartAsync(_directory.Path, [.. NodeArguments($"127.0.0.1:{proxy.Port}"), .. _extraArguments]);
        lock (Proxies)
        {
            Proxies[node.ProcessId] = proxy;
        }

        return node;
    }

    /// <summary>The proxy between <paramref name="node"/> and Redis (<see cref="ClusterShape.BehindProxies"/>).</summary>
    public TcpProxy ProxyOf(ServerProcess node) => Proxies[node.ProcessId];

    public static string[] NodeArguments(string redisConfiguration) =>
    [
        "--Switchboard:Registry:Provider=redis",
        $"--Switchboard:Registry:Redis:Configuration={redisConfiguration}",
        $"--Switchboard:Registry:Redis:HeartbeatInterval={HeartbeatInterval.ToString("c", CultureInfo.InvariantCulture)}",
        $"--Switchboard:Registry:Redis:NodeTimeout={NodeTimeout.ToString("c", CultureInfo.InvariantCulture)}",
        $"--Switchboard:Registry:Redis:RequestTimeout={RequestTimeout.ToString("c", CultureInfo.InvariantCulture)}",
    ];

    /// <summary>SIGKILLs a node; its output stays available to <see cref="Logs"/>.</summary>
    public async Task KillAsync(ServerProcess node)
    {
        await node.KillAsync();
        Nodes.Remove(node);
        _retired.Add(node);
    }

    /// <summary>Sends a signal to a node's process: STOP freezes it as a long pause or a frozen VM would, CONT resumes it.</summary>
    public static async Task SignalAsync(ServerProcess node, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", node.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Every node's output, for failure messages.</summary>
    public string Logs() => string.Join(
        Environment.NewLine,
        Nodes.Concat(_retired).Select(node => $"--- node on port {node.Port} ---{Environment.NewLine}{node.Output}"));

    public static Uri ConnectionUri(ServerProcess node, string connectionId, string segment = "@connections") =>
        new($"{node.ManagementEndpoint()}/{segment}/{Uri.EscapeDataString(connectionId)}");

    public async Task<HttpResponseMessage> PostAsync(ServerProcess via, string connectionId, string data) =>
        await Http.PostAsync(ConnectionUri(via, connectionId), new StringContent(data));

    public async Task<HttpStatusCode> PostStatusAsync(ServerProcess via, string connectionId, string data)
    {
        using var response = await PostAsync(via, connectionId, data);
        return response.StatusCode;
    }

    public async Task<HttpStatusCode> GetStatusAsync(ServerProcess via, string connectionId)
    {
        using var response = await Http.GetAsync(ConnectionUri(via, connectionId));
        return response.StatusCode;
    }

    public Task<List<string>> ListAsync(ServerProcess via) => ServerProcessClients.ListAllIdsAsync(Http, via.ManagementEndpoint());

    /// <summary>True when <paramref name="via"/> lists exactly <paramref name="ids"/>; false also while it cannot list (503).</summary>
    public async Task<bool> ListsExactlyAsync(ServerProcess via, IEnumerable<string> ids)
    {
        try
        {
            return (await ListAsync(via)).SequenceEqual(ids.Order(StringComparer.Ordinal));
        }
        catch (HttpRequestException exception) when (exception.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }
    }

    public async Task<(HttpStatusCode Status, JsonDocument Body)> HealthAsync(ServerProcess node)
    {
        using var response = await Http.GetAsync(new Uri(node.BaseUri, "health"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    /// <summary>Opens a client on <paramref name="node"/> and learns its id from the demo's whoami route.</summary>
    public static async Task<(TestClient Client, string Id)> ConnectAsync(ServerProcess node)
    {
        var client = await node.ConnectAsync();
        return (client, await client.WhoAmIAsync());
    }

    /// <summary>Tries a WebSocket handshake; returns the HTTP status (101 when it was accepted, and closes that client).</summary>
    public static async Task<int> HandshakeStatusAsync(ServerProcess node)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/production"), CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        return (int)socket.HttpStatusCode;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <see cref="Bound"/> with the nodes' logs.</summary>
    public Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null) =>
        Eventually.UntilAsync(condition, bound ?? Bound, what, Logs);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes.Concat(_retired))
        {
            await node.DisposeAsync();
        }

        foreach (var proxy in Proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        await Redis.DisposeAsync();
        Http.Dispose();
        _directory.Dispose();
    }
}

/// <param name="Nodes">How many nodes start.</param>
/// <param name="PersistentRedis">Redis keeps its data across a kill and restart (<see cref="RedisServer.StartAsync"/>).</param>
/// <param name="BehindProxies">Each node reaches Redis through a <see cref="TcpProxy"/> of its own (<see cref="Cluster.ProxyOf"/>).</param>
public sealed record ClusterShape(int Nodes = 3, bool PersistentRedis = false, bool BehindProxies = false);

/// <summary>Tests that run gateway processes run alone: each process needs a core to start and answer in time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterGroup
{
    public const string Name = "Cluster processes";
}
