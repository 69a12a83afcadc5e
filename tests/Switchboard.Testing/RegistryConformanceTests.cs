using Switchboard.Connections;
using Switchboard.Registry;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// The <see cref="IConnectionRegistry"/> contract, run against every implementation (one subclass each).
/// Timestamps carry whole milliseconds, the precision every registry keeps.
/// </summary>
public abstract class RegistryConformanceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeMilliseconds(1_735_725_600_123);

    protected IConnectionRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync() => Registry = await CreateRegistryAsync();

    public abstract Task DisposeAsync();

    protected abstract Task<IConnectionRegistry> CreateRegistryAsync();

    [Fact]
    public async Task AddAsync_ThenGetAsync_ReturnsTheSameRecord()
    {
        var withAgent = NewRecord(userAgent: "Mozilla/5.0 (X11; Linux x86_64) テスト");
        var withoutAgent = NewRecord(userAgent: null, sourceIp: "2001:db8::1");

        await Registry.AddAsync(withAgent, CancellationToken.None);
        await Registry.AddAsync(withoutAgent, CancellationToken.None);

        Assert.Equal(withAgent, await Registry.GetAsync(withAgent.ConnectionId, CancellationToken.None));
        Assert.Equal(withoutAgent, await Registry.GetAsync(withoutAgent.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_UnknownId_ReturnsNull()
    {
        await Registry.AddAsync(NewRecord(), CancellationToken.None);

        Assert.Null(await Registry.GetAsync(ConnectionId.New(), CancellationToken.None));
    }

    [Fact]
    public async Task RemoveAsync_ForgetsTheRecord_AndLeavesOthers()
    {
        var removed = NewRecord();
        var kept = NewRecord();
        await Registry.AddAsync(removed, CancellationToken.None);
        await Registry.AddAsync(kept, CancellationToken.None);

        await Registry.RemoveAsync(removed.ConnectionId, CancellationToken.None);

        Assert.Null(await Registry.GetAsync(removed.ConnectionId, CancellationToken.None));
        Assert.Equal(kept, await Registry.GetAsync(kept.ConnectionId, CancellationToken.None));
        Assert.Equal([kept.ConnectionId], (await Registry.ListAsync(10, null, CancellationToken.None)).Items.Select(r => r.ConnectionId));
    }

    [Fact]
    public async Task RemoveAsync_UnknownId_IsNotAnError()
    {
        await Registry.RemoveAsync(ConnectionId.New(), CancellationToken.None);

        var record = NewRecord();
        await Registry.AddAsync(record, CancellationToken.None);
        await Registry.RemoveAsync(record.ConnectionId, CancellationToken.None);
        await Registry.RemoveAsync(record.ConnectionId, CancellationToken.None);

        Assert.Null(await Registry.GetAsync(record.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task RecordActivityAsync_UpdatesLastActiveAtOfEachEntry_AndNothingElse()
    {
        var records = Enumerable.Range(0, 3).Select(_ => NewRecord()).ToList();
        var other = NewRecord();
        foreach (var record in records.Append(other))
        {
            await Registry.AddAsync(record, CancellationToken.None);
        }

        var active = records.Select((record, i) => record with { LastActiveAt = record.LastActiveAt.AddSeconds(42.5 + i) }).ToList();

        await Registry.RecordActivityAsync(active.Select(record => new ConnectionActivity(record.ConnectionId, record.LastActiveAt)).ToList(), CancellationToken.None);

        // Durable when the call completes: no waiting for a flush.
        foreach (var record in active)
        {
            Assert.Equal(record, await Registry.GetAsync(record.ConnectionId, CancellationToken.None));
        }

        Assert.Equal(other, await Registry.GetAsync(other.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task RecordActivityAsync_OnlyMovesLastActiveAtForward()
    {
        var record = NewRecord();
        await Registry.AddAsync(record, CancellationToken.None);
        var later = record.LastActiveAt.AddSeconds(30);
        await Registry.RecordActivityAsync([new(record.ConnectionId, later)], CancellationToken.None);

        await Registry.RecordActivityAsync([new(record.ConnectionId, later.AddSeconds(-10))], CancellationToken.None);

        Assert.Equal(later, (await Registry.GetAsync(record.ConnectionId, CancellationToken.None))!.LastActiveAt);
    }

    [Fact]
    public async Task RecordActivityAsync_OfARemovedOrUnknownConnection_IsIgnored()
    {
        var removed = NewRecord();
        var kept = NewRecord();
        await Registry.AddAsync(removed, CancellationToken.None);
        await Registry.AddAsync(kept, CancellationToken.None);
        await Registry.RemoveAsync(removed.ConnectionId, CancellationToken.None);
        var keptActive = kept.LastActiveAt.AddMinutes(1);

        await Registry.RecordActivityAsync(
            [new(removed.ConnectionId, removed.LastActiveAt.AddMinutes(1)), new(ConnectionId.New(), keptActive), new(kept.ConnectionId, keptActive)],
            CancellationToken.None);

        Assert.Null(await Registry.GetAsync(removed.ConnectionId, CancellationToken.None));
        Assert.Equal([kept with { LastActiveAt = keptActive }], (await Registry.ListAsync(10, null, CancellationToken.None)).Items);
    }

    [Fact]
    public async Task ListAsync_OrdersById_AndPagesWithNextToken()
    {
        var records = Enumerable.Range(0, 7).Select(_ => NewRecord()).ToList();
        foreach (var record in records)
        {
            await Registry.AddAsync(record, CancellationToken.None);
        }

        var pages = new List<ConnectionPage>();
        string? nextToken = null;
        do
        {
            var page = await Registry.ListAsync(3, nextToken, CancellationToken.None);
            pages.Add(page);
            nextToken = page.NextToken;
            Assert.True(pages.Count <= 7, "paging does not end");
        }
        while (nextToken is not null);

        Assert.Equal([3, 3, 1], pages.Select(page => page.Items.Count));
        Assert.Equal(records.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), pages.SelectMany(page => page.Items));
    }

    [Fact]
    public async Task ListAsync_WhenTheLimitCoversEverything_HasNoNextToken()
    {
        var empty = await Registry.ListAsync(5, null, CancellationToken.None);
        Assert.Empty(empty.Items);
        Assert.Null(empty.NextToken);

        var records = Enumerable.Range(0, 5).Select(_ => NewRecord()).ToList();
        foreach (var record in records)
        {
            await Registry.AddAsync(record, CancellationToken.None);
        }

        var page = await Registry.ListAsync(5, null, CancellationToken.None);

        Assert.Null(page.NextToken);
        Assert.Equal(records.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), page.Items);
    }

    [Fact]
    public async Task AddAsync_1000InParallel_AreAllVisible()
    {
        var records = Enumerable.Range(0, 1000).Select(_ => NewRecord()).ToList();

        await Task.WhenAll(records.Select(record => Task.Run(() => Registry.AddAsync(record, CancellationToken.None).AsTask())));

        foreach (var record in records)
        {
            Assert.Equal(record, await Registry.GetAsync(record.ConnectionId, CancellationToken.None));
        }

        var listed = new List<ConnectionRecord>();
        string? nextToken = null;
        do
        {
            var page = await Registry.ListAsync(300, nextToken, CancellationToken.None);
            listed.AddRange(page.Items);
            nextToken = page.NextToken;
        }
        while (nextToken is not null);

        Assert.Equal(records.OrderBy(r => r.ConnectionId, StringComparer.Ordinal), listed);
    }

    protected static ConnectionRecord NewRecord(string nodeId = "node-test", string? userAgent = "SwitchboardTests/1.0", string sourceIp = "203.0.113.25")
    {
        var connectedAt = Epoch.AddMilliseconds(Random.Shared.Next(0, 1_000_000));
        return new ConnectionRecord(ConnectionId.New(), nodeId, connectedAt, connectedAt.AddMilliseconds(250), sourceIp, userAgent);
    }
}
