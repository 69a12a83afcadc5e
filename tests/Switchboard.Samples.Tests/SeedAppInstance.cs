using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SeedApp;

namespace Switchboard.Samples.Tests;

/// <summary>
/// The seed app started in-process through its own host builder (<see cref="SeedAppHost.Build"/>) on a free loopback
/// port (Kestrel binds port 0), with its SQLite files in a fresh temporary directory.
/// </summary>
public sealed class SeedAppInstance : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private SeedAppInstance(WebApplication app, string directory, Uri baseUri)
    {
        _app = app;
        _directory = directory;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The stage endpoint, the AWS SDK's ServiceURL: <c>http://127.0.0.1:PORT/production</c>.</summary>
    public Uri ManagementEndpoint => new(BaseUri, "production");

    public Uri WebSocketUri => new($"ws://{BaseUri.Authority}/production");

    /// <summary>The <c>webSocketConnection</c> table's file.</summary>
    public string TablePath => Path.Combine(_directory, ConnectionTable.FileName);

    public static async Task<SeedAppInstance> StartAsync(params string[] extraArgs)
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-seedapp-test-").FullName;
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--SeedApp:DataDirectory={directory}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var app = SeedAppHost.Build(args);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new SeedAppInstance(app, directory, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Opens a real <see cref="ClientWebSocket"/> to the stage.</summary>
    public async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(WebSocketUri, timeout.Token);
        return socket;
    }

    /// <summary>The ids in the <c>webSocketConnection</c> table, read from its SQLite file.</summary>
    public async Task<string[]> TableIdsAsync()
    {
        await using var connection = OpenTable();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT connectionId FROM webSocketConnection ORDER BY connectionId";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    /// <summary>Puts an id into the table behind the app's back (a connection whose $disconnect never reached it).</summary>
    public async Task InsertIntoTableAsync(string connectionId)
    {
        await using var connection = OpenTable();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO webSocketConnection (connectionId) VALUES ($id)";
        command.Parameters.AddWithValue("$id", connectionId);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private SqliteConnection OpenTable() =>
        new(new SqliteConnectionStringBuilder { DataSource = TablePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 10 }.ToString());
}

/// <summary>Receiving with a timeout, and bounded polling for conditions that have no event.</summary>
public static class Waiting
{
    /// <summary>The next message as text; fails after <paramref name="timeout"/> (default 10 s) or on a close.</summary>
    public static async Task<string> ReceiveTextAsync(this ClientWebSocket socket, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellation.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"The socket closed ({result.CloseStatus} {result.CloseStatusDescription}) instead of sending a message.");
            }

            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public static Task SendTextAsync(this ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Checks every 20 ms until <paramref name="condition"/> holds; fails after <paramref name="timeout"/>.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Switchboard.Testing.Eventually.UntilAsync(condition, timeout, what);
}
