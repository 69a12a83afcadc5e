using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Connections;
using Switchboard.Registry;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Activity reaches the registry through the lifetime monitor only: once per sweep, one batch with every connection
/// that was active since the last one; a batch that failed is written again by the next sweep. Time is a fake clock
/// whose advance runs the monitor's sweep.
/// </summary>
public sealed class ActivityTests : IAsyncLifetime
{
    private readonly ObservableFakeTimeProvider _time = new();
    private readonly BatchRecordingRegistry _registry = new();
    private readonly RouteEventRecorder _recorder = new();
    private readonly List<TestClient> _clients = [];
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["Switchboard:Limits:KeepAliveInterval"] = "00:00:00" };
        string[] routeKeys = ["$connect", "$default"];
        RecorderRoutes.AddTo(settings, routeKeys, twoWay: false);

        _gateway = await TestGateway.StartAsync(settings, switchboard =>
        {
            switchboard.AddRouteHandler("recorder", _recorder.HandleAsync);
            switchboard.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time));
            switchboard.Services.Replace(ServiceDescriptor.Singleton<IConnectionRegistry>(_registry));
        }, useSqlite: false);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task ActivityOfManyConnections_IsWrittenInOneBatchPerSweep_AndOnlyOnce()
    {
        var (first, firstId) = await ConnectAsync();
        var (second, secondId) = await ConnectAsync();
        var (_, idleId) = await ConnectAsync();
        Sweep();
        Assert.Equal(new[] { firstId, secondId, idleId }.Order(StringComparer.Ordinal), Ids(_registry.Batches.Single()));
        _registry.Batches.Clear();

        _time.Advance(TimeSpan.FromMilliseconds(300));
        var activeAt = WholeMilliseconds(_time.GetUtcNow());
        await SendAsync(first, "one");
        await SendAsync(second, "two");
        Sweep();
        Sweep();

        var batch = Assert.Single(_registry.Batches);
        Assert.Equal(new ConnectionActivity[] { new(firstId, activeAt), new(secondId, activeAt) }.OrderBy(entry => entry.ConnectionId, StringComparer.Ordinal), batch.OrderBy(entry => entry.ConnectionId, StringComparer.Ordinal));
        Assert.Equal(activeAt, (await _registry.GetAsync(firstId, CancellationToken.None))!.LastActiveAt);
        Assert.NotEqual(activeAt, (await _registry.GetAsync(idleId, CancellationToken.None))!.LastActiveAt);
    }

    [Fact]
    public async Task ABatchThatFailed_IsWrittenAgainByTheNextSweep()
    {
        var (client, id) = await ConnectAsync();
        Sweep();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        var activeAt = WholeMilliseconds(_time.GetUtcNow());
        await SendAsync(client, "lost once");
        _registry.FailNextBatch();
        _registry.Batches.Clear();

        Sweep();
        Assert.NotEqual(activeAt, (await _registry.GetAsync(id, CancellationToken.None))!.LastActiveAt);
        Sweep();

        ConnectionActivity[] expected = [new(id, activeAt)];
        Assert.Equal([expected, expected], _registry.Batches.Select(batch => batch.ToArray()));
        Assert.Equal(activeAt, (await _registry.GetAsync(id, CancellationToken.None))!.LastActiveAt);
    }

    private async Task<(TestClient Client, string Id)> ConnectAsync()
    {
        var client = await _gateway.ConnectAsync();
        _clients.Add(client);
        return (client, (await _recorder.NextAsync("$connect")).ConnectionId);
    }

    /// <summary>Sends a message and waits until the gateway has read it (its <c>$default</c> event).</summary>
    private async Task SendAsync(TestClient client, string text)
    {
        await client.SendTextAsync(text);
        Assert.Equal(text, (await _recorder.NextAsync("$default")).Body);
    }

    /// <summary>One sweep of the lifetime monitor: the clock moves by its interval and fires its timer.</summary>
    private void Sweep() => _time.Advance(ConnectionLifetimeMonitor.SweepInterval);

    private static List<string> Ids(IEnumerable<ConnectionActivity> batch) =>
        batch.Select(entry => entry.ConnectionId).Order(StringComparer.Ordinal).ToList();

    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>The in-memory registry, recording each activity batch it is handed, able to refuse one as Redis would when down.</summary>
    private sealed class BatchRecordingRegistry : IConnectionRegistry
    {
        private readonly InMemoryConnectionRegistry _registry = new();
        private int _failNext;

        public ConcurrentQueue<List<ConnectionActivity>> Batches { get; } = new();

        public void FailNextBatch() => Volatile.Write(ref _failNext, 1);

        public ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken)
        {
            Batches.Enqueue([.. activity]);
            return Interlocked.Exchange(ref _failNext, 0) == 1
                ? ValueTask.FromException(new RegistryUnavailableException("The registry refuses this batch"))
                : _registry.RecordActivityAsync(activity, cancellationToken);
        }

        public ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken) => _registry.AddAsync(record, cancellationToken);

        public ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken) => _registry.RemoveAsync(connectionId, cancellationToken);

        public ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken) => _registry.GetAsync(connectionId, cancellationToken);

        public ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken) => _registry.ListAsync(limit, nextToken, cancellationToken);
    }
}
