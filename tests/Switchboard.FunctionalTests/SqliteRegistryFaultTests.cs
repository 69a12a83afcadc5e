using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The SQLite registry's file failing under a running gateway (docs/reliability.md, "Faults"): the disk full (a real
/// tmpfs of a few megabytes, filled) and the database locked by another connection for longer than the busy timeout.
/// What was acknowledged stays true: a client answered 101 is in the registry, a refused one is not and ran no
/// <c>$connect</c>, a post answered 200 is delivered, and a connection that closed during the fault leaves no entry.
/// </summary>
public sealed class SqliteRegistryFaultTests(ITestOutputHelper output)
{
    [MountFact]
    public async Task DiskFull_RefusesHandshakes503_KeepsOpenConnections_AndRecoversOnceSpaceIsFreed()
    {
        using var directory = new TemporaryDirectory();
        using var tmpfs = TmpfsMount.Mount(directory.Path, bytes: 4 * 1024 * 1024);
        var path = Path.Combine(directory.Path, "registry.db");
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Registry:Sqlite:Path"] = path });
        var (open, openId) = await harness.ConnectAsync();
        await using var _ = open;
        var (closing, closingId) = await harness.ConnectAsync();

        var filler = Path.Combine(directory.Path, "filler");
        FillDisk(filler);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await harness.Gateway.RefusedHandshakeAsync());
        await AssertOpenConnectionWorksAsync(harness, open, openId);
        // Closed while its removal cannot be written: the removal is kept and retried.
        await closing.CloseAsync();
        Assert.Equal(closingId, (await harness.Recorder.NextAsync("$disconnect")).ConnectionId);
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains($"Could not remove connection {closingId}", StringComparison.Ordinal));

        File.Delete(filler);
        var freed = Stopwatch.StartNew();
        var (recovered, recoveredId) = await harness.ConnectAsync();
        await using var __ = recovered;
        output.WriteLine($"first handshake after the space was freed: 101 after {freed.ElapsedMilliseconds} ms");

        await AssertRegistryHoldsExactlyAsync(harness, openId, recoveredId);
        Assert.False(harness.Recorder.TryTake("$connect", out var unexpected), $"a refused handshake ran $connect: {unexpected?.ConnectionId}");
    }

    [Fact]
    public async Task DatabaseLockedByAnotherWriter_RefusesHandshakes503AfterTheBusyTimeout_AndRecoversOnRelease()
    {
        await using var harness = await Harness.StartAsync();
        var path = Path.Combine(harness.Gateway.Directory.Path, "registry.db");
        var (open, openId) = await harness.ConnectAsync();
        await using var _ = open;
        var (closing, closingId) = await harness.ConnectAsync();

        // Another program holds the write lock (as `sqlite3 registry.db 'BEGIN IMMEDIATE'` would) past the busy timeout.
        await using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await holder.OpenAsync();
        await ExecuteAsync(holder, "BEGIN IMMEDIATE");

        var waited = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await harness.Gateway.RefusedHandshakeAsync());
        output.WriteLine($"handshake refused with 503 after {waited.ElapsedMilliseconds} ms of lock");
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(9));
        // Readers are not blocked by a writer (WAL): the open connection is listed and reachable.
        Assert.Contains(openId, await harness.Gateway.ListIdsAsync(harness.Http));
        await AssertOpenConnectionWorksAsync(harness, open, openId);
        // Closed while the lock is held: its removal waits for the lock (or, past the busy timeout, is retried).
        var closed = closing.CloseAsync();

        await ExecuteAsync(holder, "ROLLBACK");
        var released = Stopwatch.StartNew();
        await closed;
        var (recovered, recoveredId) = await harness.ConnectAsync();
        await using var __ = recovered;
        output.WriteLine($"first handshake after the lock was released: 101 after {released.ElapsedMilliseconds} ms");

        Assert.Equal(closingId, (await harness.Recorder.NextAsync("$disconnect")).ConnectionId);
        await AssertRegistryHoldsExactlyAsync(harness, openId, recoveredId);
        Assert.False(harness.Recorder.TryTake("$connect", out var unexpected), $"a refused handshake ran $connect: {unexpected?.ConnectionId}");
    }

    /// <summary>A post to a connection opened before the fault is answered 200 and delivered.</summary>
    private static async Task AssertOpenConnectionWorksAsync(Harness harness, TestClient client, string connectionId)
    {
        using var post = await harness.PostAsync(connectionId, "during the fault"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("during the fault", await client.ReceiveTextAsync());
    }

    /// <summary>The registry lists exactly <paramref name="ids"/>: the connections answered 101 and still open, no ghost of a closed one.</summary>
    private static async Task AssertRegistryHoldsExactlyAsync(Harness harness, params string[] ids) =>
        await Eventually.UntilAsync(
            async () => string.Join(", ", (await harness.Gateway.ListIdsAsync(harness.Http)).Order(StringComparer.Ordinal)),
            listed => listed == string.Join(", ", ids.Order(StringComparer.Ordinal)),
            TimeSpan.FromSeconds(5),
            $"the registry to list exactly {string.Join(", ", ids)}",
            () => string.Join(Environment.NewLine, TestLoggerProvider.Lines.TakeLast(20)));

    /// <summary>Writes <paramref name="path"/> until the file system has no byte left.</summary>
    private static void FillDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A test that mounts a file system: it runs as root on Linux (CI runs as root); elsewhere it is skipped, except under
/// <c>CI=true</c>, where it runs and fails with the reason, so a CI that lost the privilege does not pass silently.
/// </summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (!TmpfsMount.MayMount && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "needs root on Linux to mount a tmpfs (runs, and fails without it, when CI=true)";
        }
    }
}

/// <summary>A tmpfs of a fixed size mounted on a directory; unmounted on dispose.</summary>
public sealed class TmpfsMount : IDisposable
{
    private readonly string _path;

    private TmpfsMount(string path) => _path = path;

    /// <summary>Root on Linux.</summary>
    public static bool MayMount => OperatingSystem.IsLinux() && Environment.UserName == "root";

    public static TmpfsMount Mount(string path, long bytes)
    {
        Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        return new TmpfsMount(path);
    }

    public void Dispose() => Run("umount", "--lazy", _path);

    private static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()} — the disk-full test needs root to mount a tmpfs");
        }
    }
}
