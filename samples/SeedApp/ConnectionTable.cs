using Microsoft.Data.Sqlite;

namespace SeedApp;

/// <summary>
/// The <c>webSocketConnection</c> table of the original system (DynamoDB, partition key <c>connectionId</c>), kept in
/// a SQLite file of its own: <c>put</c>, <c>delete</c> and <c>scan</c>, nothing more.
/// </summary>
public sealed class ConnectionTable
{
    /// <summary>The file name inside the data directory.</summary>
    public const string FileName = "webSocketConnection.db";

    private readonly string _connectionString;

    public ConnectionTable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Creates the file and the table when they do not exist (WAL, so readers never wait for writers).</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS webSocketConnection (connectionId TEXT PRIMARY KEY);
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>PutItem <c>{ connectionId }</c> (an existing item is replaced, as in DynamoDB).</summary>
    public Task PutAsync(string connectionId, CancellationToken cancellationToken) =>
        ExecuteAsync("INSERT OR REPLACE INTO webSocketConnection (connectionId) VALUES ($id)", connectionId, cancellationToken);

    /// <summary>DeleteItem by <c>connectionId</c> (no error when there is none, as in DynamoDB).</summary>
    public Task DeleteAsync(string connectionId, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM webSocketConnection WHERE connectionId = $id", connectionId, cancellationToken);

    /// <summary>Scan with <c>ProjectionExpression: 'connectionId'</c>: every id in the table.</summary>
    public async Task<IReadOnlyList<string>> ScanAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT connectionId FROM webSocketConnection ORDER BY connectionId";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private async Task ExecuteAsync(string sql, string connectionId, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", connectionId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
