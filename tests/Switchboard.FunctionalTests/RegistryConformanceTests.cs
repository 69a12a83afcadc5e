using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Registry;
using Switchboard.Sqlite;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

// The suite itself is Switchboard.Testing.RegistryConformanceTests, shared with Switchboard.Redis.Tests.
public sealed class InMemoryRegistryConformanceTests : RegistryConformanceTests
{
    public override Task DisposeAsync() => Task.CompletedTask;

    protected override Task<IConnectionRegistry> CreateRegistryAsync() => Task.FromResult<IConnectionRegistry>(new InMemoryConnectionRegistry());
}

public sealed class SqliteRegistryConformanceTests : RegistryConformanceTests
{
    private readonly TemporaryDirectory _directory = new();
    private SqliteConnectionRegistry? _registry;

    public override async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.StopAsync(CancellationToken.None);
        }

        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    protected override async Task<IConnectionRegistry> CreateRegistryAsync()
    {
        _registry = Create(Path.Combine(_directory.Path, "registry.db"));
        await _registry.StartAsync(CancellationToken.None);
        return _registry;
    }

    [Fact]
    public async Task SecondRegistryOnTheSameFile_FailsToStart_NamingTheFile_UntilTheFirstStops()
    {
        var path = Path.Combine(_directory.Path, "shared.db");
        var first = Create(path);
        await first.StartAsync(CancellationToken.None);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Create(path).StartAsync(CancellationToken.None));
        Assert.Contains(Path.GetFullPath(path), exception.Message, StringComparison.Ordinal);
        Assert.Contains("in use", exception.Message, StringComparison.Ordinal);

        await first.StopAsync(CancellationToken.None);
        var next = Create(path);
        await next.StartAsync(CancellationToken.None);
        await next.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task EntriesLeftByACrashedInstance_ArePurgedAtStartup()
    {
        var path = Path.Combine(_directory.Path, "crashed.db");
        var crashedNode = new NodeIdentity();
        var crashed = Create(path, node: crashedNode);
        await crashed.StartAsync(CancellationToken.None);
        var ghosts = new[] { NewRecord(crashedNode.Id), NewRecord(crashedNode.Id) };
        foreach (var ghost in ghosts)
        {
            await crashed.AddAsync(ghost, CancellationToken.None);
        }

        // A crash: no StopAsync, so nothing is cleaned up; disposing only lets go of the file and its lock,
        // as the operating system does for a dead process.
        crashed.Dispose();
        Assert.Equal(2, CountRows(path));

        var logger = new ListLogger<SqliteConnectionRegistry>();
        var restarted = Create(path, logger);
        await restarted.StartAsync(CancellationToken.None);
        try
        {
            foreach (var ghost in ghosts)
            {
                Assert.Null(await restarted.GetAsync(ghost.ConnectionId, CancellationToken.None));
            }

            Assert.Empty((await restarted.ListAsync(100, null, CancellationToken.None)).Items);
            Assert.Contains(logger.Lines, line => line.Contains("Purged 2 connection(s)", StringComparison.Ordinal));

            var fresh = NewRecord();
            await restarted.AddAsync(fresh, CancellationToken.None);
            Assert.Equal(fresh, await restarted.GetAsync(fresh.ConnectionId, CancellationToken.None));
        }
        finally
        {
            await restarted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task EntriesStillHeldAtAGracefulStop_AreOwedADisconnect_AtTheNextStart_AndRemovedOnesAreNot()
    {
        // An entry leaves the registry only after its $disconnect: what is still there when the registry stops had
        // none (its call was still running, or the connection outlived the shutdown timeout).
        var path = Path.Combine(_directory.Path, "stopped.db");
        var stoppedNode = new NodeIdentity();
        var stopped = Create(path, node: stoppedNode);
        await stopped.StartAsync(CancellationToken.None);
        var closedAndDisconnected = NewRecord(stoppedNode.Id);
        var stillHeld = NewRecord(stoppedNode.Id);
        await stopped.AddAsync(closedAndDisconnected, CancellationToken.None);
        await stopped.AddAsync(stillHeld, CancellationToken.None);
        await stopped.RemoveAsync(closedAndDisconnected.ConnectionId, CancellationToken.None);
        await stopped.StopAsync(CancellationToken.None);

        var restarted = Create(path);
        await restarted.StartAsync(CancellationToken.None);
        try
        {
            Assert.Null(await restarted.GetAsync(stillHeld.ConnectionId, CancellationToken.None));
            Assert.Equal([stillHeld.ConnectionId], (await restarted.TakeAsync(10, CancellationToken.None)).Select(l => l.ConnectionId));
        }
        finally
        {
            await restarted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task EntriesLeftByACrashedInstance_AreOwedADisconnect_HandedOutOnce_UntilCompleted_AndAgainAfterTheNextCrash()
    {
        var path = Path.Combine(_directory.Path, "outbox.db");
        var crashedNode = new NodeIdentity();
        var crashed = Create(path, node: crashedNode);
        await crashed.StartAsync(CancellationToken.None);
        var withAgent = NewRecord(crashedNode.Id) with { UserAgent = "agent/1" };
        var withoutAgent = NewRecord(crashedNode.Id) with { UserAgent = null, SourceIp = "2001:db8::1" };
        await crashed.AddAsync(withAgent, CancellationToken.None);
        await crashed.AddAsync(withoutAgent, CancellationToken.None);
        Assert.Empty(await crashed.TakeAsync(10, CancellationToken.None));
        crashed.Dispose();

        var beforeRestart = DateTimeOffset.UtcNow.AddSeconds(-1);
        var restarted = Create(path);
        await restarted.StartAsync(CancellationToken.None);
        var owed = await restarted.TakeAsync(10, CancellationToken.None);
        Assert.Equal(
            new[] { withAgent, withoutAgent }.Select(r => (r.ConnectionId, r.ConnectedAt, r.SourceIp, r.UserAgent)).OrderBy(t => t.ConnectionId, StringComparer.Ordinal),
            owed.Select(l => (l.ConnectionId, l.ConnectedAt, l.SourceIp, l.UserAgent)).OrderBy(t => t.ConnectionId, StringComparer.Ordinal));
        Assert.All(owed, lost => Assert.InRange(lost.LostAt, beforeRestart, DateTimeOffset.UtcNow));
        Assert.Empty(await restarted.TakeAsync(10, CancellationToken.None));

        var delivered = owed.Single(l => l.ConnectionId == withAgent.ConnectionId);
        await restarted.CompleteAsync(delivered, CancellationToken.None);
        restarted.Dispose();

        // A second crash before the other was delivered: the next start hands it out again, and only it.
        var again = Create(path);
        await again.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal([withoutAgent.ConnectionId], (await again.TakeAsync(10, CancellationToken.None)).Select(l => l.ConnectionId));
        }
        finally
        {
            await again.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task StopAsync_RemovesThisNodesEntriesFromTheFile()
    {
        var path = Path.Combine(_directory.Path, "stopped.db");
        var node = new NodeIdentity();
        var registry = Create(path, node: node);
        await registry.StartAsync(CancellationToken.None);
        await registry.AddAsync(NewRecord(node.Id), CancellationToken.None);
        await registry.AddAsync(NewRecord(node.Id), CancellationToken.None);
        Assert.Equal(2, CountRows(path));

        await registry.StopAsync(CancellationToken.None);

        Assert.Equal(0, CountRows(path));
    }

    private static SqliteConnectionRegistry Create(string path, ILogger<SqliteConnectionRegistry>? logger = null, NodeIdentity? node = null)
    {
        var options = new SqliteRegistryOptions { Path = path };
        return new SqliteConnectionRegistry(Options.Create(options), node ?? new NodeIdentity(), logger ?? new ListLogger<SqliteConnectionRegistry>());
    }

    /// <summary>Reads the file directly, bypassing the registry.</summary>
    private static long CountRows(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM connections";
        return (long)command.ExecuteScalar()!;
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
