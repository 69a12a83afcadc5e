using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Connections;
using Switchboard.Registry;

namespace Switchboard.Sqlite;

/// <summary>
/// The embedded registry: one SQLite file (WAL) owned by one gateway node.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Writes go through one writer loop that commits whatever is queued in a single transaction (group
/// commit), so a burst of connects costs one commit, not one each; <see cref="AddAsync"/> completes after the
/// commit that contains it.</item>
/// <item>Activity (<see cref="RecordActivityAsync"/>) is one write of the queue: the monitor's batch rides along with
/// whatever else the next commit holds.</item>
/// <item>The file is owned exclusively through a lock file; a second process pointed at it fails to start
/// with a clear message. At startup every entry is purged: they belonged to a process that is gone. The purge moves
/// them, in one transaction, to the <c>lost_connections</c> table, the <see cref="ILostConnectionOutbox"/> from which
/// the gateway sends their <c>$disconnect</c> once it is up; an entry stays there until delivered (or given up), so a
/// crash meanwhile leaves it to the next start.</item>
/// <item>A write that cannot commit (disk full, the file locked by another process for longer than
/// <see cref="BusyTimeout"/>) fails the calls in its batch with <see cref="RegistryUnavailableException"/>: an add is
/// refused (the handshake answers 503), while a removal is kept and retried with every later commit, and every
/// <see cref="RemovalRetryInterval"/> while nothing else is written, so a closed connection never stays listed.</item>
/// </list>
/// </remarks>
public sealed partial class SqliteConnectionRegistry : IConnectionRegistry, ILostConnectionOutbox, IHostedService, IDisposable
{
    private const int MaxBatch = 512;

    /// <summary>
    /// How long a write waits for another process's lock on the file before it fails (SQLite's <c>busy_timeout</c> and
    /// the command timeout, so the wait is bounded once, not retried for the driver's default 30 s).
    /// </summary>
    internal static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often removals that failed are retried while nothing else is written.</summary>
    internal static readonly TimeSpan RemovalRetryInterval = TimeSpan.FromSeconds(1);
    /// <summary>2 added <c>lost_connections</c>; version 1 files are upgraded by creating it.</summary>
    private const int SchemaVersion = 2;

    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Removals whose commit failed, retried with each commit until one succeeds (owned by the writer loop).</summary>
    private readonly HashSet<string> _failedRemovals = new(StringComparer.Ordinal);

    /// <summary>A wait for queued writes that the removal retry timer won over (owned by the writer loop).</summary>
    private Task<bool>? _queuedWait;
    private readonly string _path;
    private readonly string _connectionString;
    private readonly NodeIdentity _node;
    private readonly ILogger<SqliteConnectionRegistry> _logger;
    private readonly TimeProvider _time;
    private FileStream? _lockFile;
    private SqliteConnection? _writer;
    private Task? _writerLoop;

    /// <summary>Creates the registry for the file named by <c>Switchboard:Registry:Sqlite:Path</c>.</summary>
    public SqliteConnectionRegistry(IOptions<SqliteRegistryOptions> options, NodeIdentity node, ILogger<SqliteConnectionRegistry> logger, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _path = Path.GetFullPath(options.Value.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        _node = node;
        _logger = logger;
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _path;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lockFile = OpenLockFile();
        _writer = new SqliteConnection(_connectionString);
        await _writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(_writer, $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};
            CREATE TABLE IF NOT EXISTS connections (
                id TEXT NOT NULL PRIMARY KEY,
                node_id TEXT NOT NULL,
                connected_at INTEGER NOT NULL,
                last_active_at INTEGER NOT NULL,
                source_ip TEXT NOT NULL,
                user_agent TEXT
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS lost_connections (
                id TEXT NOT NULL PRIMARY KEY,
                connected_at INTEGER NOT NULL,
                source_ip TEXT NOT NULL,
                user_agent TEXT,
                lost_at INTEGER NOT NULL,
                taken_by TEXT
            ) WITHOUT ROWID;
            """, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(_writer, $"PRAGMA user_version = {SchemaVersion};", cancellationToken).ConfigureAwait(false);

        // Whatever is here belonged to a process that no longer runs (the lock proves it): those are ghosts, whose
        // $disconnect is owed. Moved in one transaction, so no entry is purged without it.
        var purged = await MoveToLostAsync("1", cancellationToken).ConfigureAwait(false);
        if (purged > 0)
        {
            LogPurged(_logger, purged, _path);
        }

        _writerLoop = Task.Run(WriterLoopAsync, CancellationToken.None);
    }

    /// <summary>
    /// Takes the lock file that proves this process owns the registry file. Each failure names its real cause:
    /// a missing directory is not created (a typo in the path would otherwise start an empty registry somewhere
    /// unexpected), and only a lock held by another process is reported as one.
    /// </summary>
    private FileStream OpenLockFile()
    {
        const string Key = "Switchboard:Registry:Sqlite:Path";
        var lockPath = _path + ".lock";
        var directory = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(directory))
        {
            throw new InvalidOperationException(
                $"{Key}: the directory {directory} of the registry file {_path} does not exist; create it or choose another path.",
                new DirectoryNotFoundException(directory));
        }

        foreach (var path in new[] { _path, lockPath })
        {
            if (Directory.Exists(path))
            {
                throw new InvalidOperationException($"{Key}: {path} is a directory; the registry needs a file there.", new IOException(path));
            }
        }

        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException exception) when (IsLockHeld(exception))
        {
            throw new InvalidOperationException(
                $"The registry file {_path} is in use by another Switchboard process (lock file {lockPath}). " +
                $"Give each node its own {Key}, or use a clustered registry.", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Permission denied, a read-only file system, a full disk: the runtime's message says which.
            throw new InvalidOperationException($"{Key}: cannot create the lock file {lockPath}: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// True when the lock file exists but another process holds its lock: a sharing violation on Windows,
    /// EWOULDBLOCK from flock on Linux (11) and macOS (35), which .NET reports as the exception's HResult.
    /// </summary>
    private static bool IsLockHeld(IOException exception) =>
        exception.GetType() == typeof(IOException)
        && exception.HResult is unchecked((int)0x80070020) or 11 or 35;

    /// <summary>
    /// Moves the entries that match <paramref name="where"/> (an SQL condition on <c>connections</c>) to the outbox, in one
    /// transaction so that none leaves without its <c>$disconnect</c> being owed; returns how many.
    /// </summary>
    private async Task<int> MoveToLostAsync(string where, CancellationToken cancellationToken)
    {
        using var transaction = _writer!.BeginTransaction();
        using var move = _writer.CreateCommand();
        move.Transaction = transaction;
        move.CommandText = $"""
            INSERT OR REPLACE INTO lost_connections (id, connected_at, source_ip, user_agent, lost_at, taken_by)
            SELECT id, connected_at, source_ip, user_agent, $now, NULL FROM connections WHERE {where};
            DELETE FROM connections WHERE {where};
            """;
        move.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        move.CommandText = "SELECT changes()";
        move.Parameters.Clear();
        var moved = Convert.ToInt32(await move.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return moved;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _writes.Writer.TryComplete();
        if (_writerLoop is not null)
        {
            await _writerLoop.ConfigureAwait(false);
        }

        try
        {
            if (_writer is not null)
            {
                // An entry leaves only after its $disconnect, so what is left had none: it was still running, or the
                // connection outlived the shutdown timeout. The next start sends it from the outbox. If this write fails
                // (disk full), the rows stay in connections, which the next start moves to the outbox all the same.
                var owed = await MoveToLostAsync($"node_id = '{_node.Id}'", CancellationToken.None).ConfigureAwait(false);
                if (owed > 0)
                {
                    LogStoppedOwing(_logger, owed, _path);
                }
            }
        }
        finally
        {
            // The lock file is released whatever happened to the last write.
            Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingWrite(record, null), cancellationToken);

    /// <inheritdoc />
    public ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingWrite(null, connectionId), cancellationToken);

    /// <inheritdoc />
    public ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingWrite(null, null, activity), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, node_id, connected_at, last_active_at, source_ip, user_agent FROM connections WHERE id = $id";
            command.Parameters.AddWithValue("$id", connectionId);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRecord(reader) : null;
        }
        catch (SqliteException exception)
        {
            throw Unavailable(exception);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT id, node_id, connected_at, last_active_at, source_ip, user_agent FROM connections
                WHERE id > $after ORDER BY id LIMIT $limit
                """;
            command.Parameters.AddWithValue("$after", nextToken ?? "");
            command.Parameters.AddWithValue("$limit", limit + 1);
            var items = new List<ConnectionRecord>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadRecord(reader));
            }

            string? next = null;
            if (items.Count > limit)
            {
                items.RemoveAt(limit);
                next = items[^1].ConnectionId;
            }

            return new ConnectionPage(items, next);
        }
        catch (SqliteException exception)
        {
            throw Unavailable(exception);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Entries a previous process took and did not complete are taken again: the lock file proves that process gone.
    /// </remarks>
    public async ValueTask<IReadOnlyList<LostConnection>> TakeAsync(int limit, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE lost_connections SET taken_by = $node
                WHERE id IN (SELECT id FROM lost_connections WHERE taken_by IS NULL OR taken_by <> $node ORDER BY lost_at, id LIMIT $limit)
                RETURNING id, connected_at, source_ip, user_agent, lost_at
                """;
            command.Parameters.AddWithValue("$node", _node.Id);
            command.Parameters.AddWithValue("$limit", limit);
            var taken = new List<LostConnection>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                taken.Add(new LostConnection(
                    reader.GetString(0),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
            }

            return taken;
        }
        catch (SqliteException exception)
        {
            throw Unavailable(exception);
        }
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(LostConnection lost, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM lost_connections WHERE id = $id";
            command.Parameters.AddWithValue("$id", lost.ConnectionId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException exception)
        {
            throw Unavailable(exception);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        _lockFile?.Dispose();
        _lockFile = null;
    }

    private async ValueTask EnqueueAsync(PendingWrite write, CancellationToken cancellationToken)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            throw new RegistryUnavailableException($"The SQLite registry {_path} is not running");
        }

        await write.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        using var insert = _writer!.CreateCommand();
        insert.CommandText = """
            INSERT OR REPLACE INTO connections (id, node_id, connected_at, last_active_at, source_ip, user_agent)
            VALUES ($id, $node, $connected, $active, $ip, $ua)
            """;
        var insertId = insert.Parameters.Add("$id", SqliteType.Text);
        var insertNode = insert.Parameters.Add("$node", SqliteType.Text);
        var insertConnected = insert.Parameters.Add("$connected", SqliteType.Integer);
        var insertActive = insert.Parameters.Add("$active", SqliteType.Integer);
        var insertIp = insert.Parameters.Add("$ip", SqliteType.Text);
        var insertUserAgent = insert.Parameters.Add("$ua", SqliteType.Text);
        using var delete = _writer.CreateCommand();
        delete.CommandText = "DELETE FROM connections WHERE id = $id";
        var deleteId = delete.Parameters.Add("$id", SqliteType.Text);
        using var touch = _writer.CreateCommand();
        touch.CommandText = "UPDATE connections SET last_active_at = $active WHERE id = $id AND last_active_at < $active";
        var touchId = touch.Parameters.Add("$id", SqliteType.Text);
        var touchActive = touch.Parameters.Add("$active", SqliteType.Integer);

        while (await WaitForWritesAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                using var transaction = _writer.BeginTransaction();
                insert.Transaction = delete.Transaction = touch.Transaction = transaction;
                foreach (var id in _failedRemovals)
                {
                    deleteId.Value = id;
                    delete.ExecuteNonQuery();
                }

                foreach (var write in batch)
                {
                    if (write.Add is { } record)
                    {
                        insertId.Value = record.ConnectionId;
                        insertNode.Value = record.NodeId;
                        insertConnected.Value = record.ConnectedAt.ToUnixTimeMilliseconds();
                        insertActive.Value = record.LastActiveAt.ToUnixTimeMilliseconds();
                        insertIp.Value = record.SourceIp;
                        insertUserAgent.Value = (object?)record.UserAgent ?? DBNull.Value;
                        insert.ExecuteNonQuery();
                    }
                    else if (write.RemoveId is { } id)
                    {
                        deleteId.Value = id;
                        delete.ExecuteNonQuery();
                    }
                    else if (write.Activity is { } activity)
                    {
                        foreach (var entry in activity)
                        {
                            touchId.Value = entry.ConnectionId;
                            touchActive.Value = entry.LastActiveAt.ToUnixTimeMilliseconds();
                            touch.ExecuteNonQuery();
                        }
                    }
                }

                transaction.Commit();
                if (_failedRemovals.Count > 0)
                {
                    LogRemovalsRetried(_logger, _failedRemovals.Count);
                    _failedRemovals.Clear();
                }

                foreach (var write in batch)
                {
                    write.Done.TrySetResult();
                }
            }
            catch (SqliteException exception)
            {
                var failure = Unavailable(exception);
                foreach (var write in batch)
                {
                    if (write.RemoveId is { } id)
                    {
                        _failedRemovals.Add(id);
                    }

                    write.Done.TrySetException(failure);
                }
            }
        }
    }

    /// <summary>
    /// True when there is something to commit: queued writes, or removals to retry once <see cref="RemovalRetryInterval"/>
    /// has passed without other writes. False once the queue is completed (the registry is stopping).
    /// </summary>
    private async Task<bool> WaitForWritesAsync()
    {
        if (_failedRemovals.Count == 0 && _queuedWait is null)
        {
            return await _writes.Reader.WaitToReadAsync().ConfigureAwait(false);
        }

        // One wait on the queue at a time (it has a single reader): a wait the retry timer won over is kept for the next call.
        var queued = _queuedWait ?? _writes.Reader.WaitToReadAsync().AsTask();
        if (_failedRemovals.Count > 0 && await Task.WhenAny(queued, Task.Delay(RemovalRetryInterval, _time)).ConfigureAwait(false) != queued)
        {
            _queuedWait = queued;
            return true;
        }

        _queuedWait = null;
        return await queued.ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private RegistryUnavailableException Unavailable(SqliteException exception) =>
        new($"The SQLite registry {_path} failed: {exception.Message}", exception);

    private static ConnectionRecord ReadRecord(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5));

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Only constant SQL and the node id this process generated reach here.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(101, LogLevel.Warning, "Stopped before the $disconnect of {Count} connection(s) had run; they were moved to the outbox of {Path}, and their $disconnect is sent at the next start")]
    private static partial void LogStoppedOwing(ILogger logger, int count, string path);

    [LoggerMessage(100, LogLevel.Information, "Purged {Count} connection(s) left in {Path} by a previous process; they answer 410, and their $disconnect is sent once the gateway is up")]
    private static partial void LogPurged(ILogger logger, int count, string path);

    [LoggerMessage(92, LogLevel.Information, "Removed {Count} closed connection(s) from the registry whose removal had failed before")]
    private static partial void LogRemovalsRetried(ILogger logger, int count);

    /// <summary>One write of the queue: an add, a removal or a batch of activity.</summary>
    private sealed record PendingWrite(ConnectionRecord? Add, string? RemoveId, IReadOnlyList<ConnectionActivity>? Activity = null)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
