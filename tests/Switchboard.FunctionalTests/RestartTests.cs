using System.Net;
using System.Net.WebSockets;
using Microsoft.Data.Sqlite;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The real executable killed and restarted on the same working directory (and so the same SQLite registry
/// file): no ghost connection survives a crash or a graceful stop.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class RestartTests
{
    [Fact]
    public async Task AfterSigkill_TheRestartedServer_Answers410ForOldIds_ListsNothing_AndServesNewClients()
    {
        using var directory = new TemporaryDirectory();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string[] oldIds;
        await using (var crashed = await ServerProcess.StartAsync(directory.Path, []))
        {
            var first = await crashed.ConnectAsync();
            var second = await crashed.ConnectAsync();
            oldIds = [await first.WhoAmIAsync(), await second.WhoAmIAsync()];
            Assert.Equal(oldIds.Order(StringComparer.Ordinal), await ServerProcessClients.ListAllIdsAsync(http, crashed.ManagementEndpoint()));

            await crashed.KillAsync();
            first.Socket.Abort();
            second.Socket.Abort();
            await first.DisposeAsync();
            await second.DisposeAsync();
        }

        // The crash left both entries behind: this is the situation the restart must clean up.
        Assert.Equal(2, CountRegistryRows(directory.Path));

        await using var restarted = await ServerProcess.StartAsync(directory.Path, []);
        var endpoint = restarted.ManagementEndpoint();
        foreach (var oldId in oldIds)
        {
            using var get = await http.GetAsync(new Uri($"{endpoint}/@connections/{Uri.EscapeDataString(oldId)}"));
            AssertGone(get);
            using var post = await http.PostAsync(new Uri($"{endpoint}/@connections/{Uri.EscapeDataString(oldId)}"), new StringContent("anyone?"));
            AssertGone(post);
        }

        Assert.Empty(await ServerProcessClients.ListAllIdsAsync(http, endpoint));

        await using var client = await restarted.ConnectAsync();
        var newId = await client.WhoAmIAsync();
        Assert.DoesNotContain(newId, oldIds);
        await client.SendTextAsync("echo after restart");
        Assert.Equal("echo after restart", await client.ReceiveTextAsync());
        using (var post = await http.PostAsync(new Uri($"{endpoint}/@connections/{Uri.EscapeDataString(newId)}"), new StringContent("posted after restart")))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("posted after restart", await client.ReceiveTextAsync());
        Assert.Equal([newId], await ServerProcessClients.ListAllIdsAsync(http, endpoint));
    }

    [Fact]
    public async Task AfterSigkill_TheRestartedServer_SendsDisconnectForTheLostConnections_RetryingAFailedDelivery()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var deliveries = 0;
        // The first delivery fails: the gateway retries it, and only the answered one empties the outbox.
        backend.Respond("disconnect", _ => Task.FromResult(Interlocked.Increment(ref deliveries) == 1 ? (503, "try later") : (200, "")));
        var definition = await backend.WriteDisconnectDefinitionAsync(directory.Path);

        string[] lostIds;
        long connectedAt;
        await using (var crashed = await ServerProcess.StartAsync(directory.Path, ["--definition", definition]))
        {
            await using var first = await crashed.ConnectAsync();
            await using var second = await crashed.ConnectAsync();
            lostIds = [await first.WhoAmIAsync(), await second.WhoAmIAsync()];
            connectedAt = (await ReadLostOrRegisteredConnectedAtAsync(directory.Path, lostIds[0]))!.Value;
            await crashed.KillAsync();
            first.Socket.Abort();
            second.Socket.Abort();
        }

        Assert.False(backend.TryTakeEvent(out _), "a killed process sends nothing");

        await using var restarted = await ServerProcess.StartAsync(directory.Path, ["--definition", definition]);
        var received = new List<RecordedEvent>();
        while (received.Count < 3)
        {
            received.Add(await backend.NextEventAsync("$disconnect", TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(lostIds.Order(StringComparer.Ordinal), received.Select(e => e.ConnectionId).Distinct().Order(StringComparer.Ordinal));
        Assert.All(received, e =>
        {
            Assert.Equal("DISCONNECT", e.RequestContext.GetProperty("eventType").GetString());
            Assert.Equal(1006, e.RequestContext.GetProperty("disconnectStatusCode").GetInt32());
            Assert.Equal("Gateway node lost", e.RequestContext.GetProperty("disconnectReason").GetString());
            Assert.Equal("127.0.0.1", e.RequestContext.GetProperty("identity").GetProperty("sourceIp").GetString());
        });
        Assert.Equal(connectedAt, received.First(e => e.ConnectionId == lostIds[0]).RequestContext.GetProperty("connectedAt").GetInt64());

        // Delivered: nothing is owed any more, and nothing is sent again.
        await Eventually.UntilAsync(() => Task.FromResult(CountRows(directory.Path, "lost_connections") == 0), TimeSpan.FromSeconds(30), "the outbox to empty");
        Assert.Equal(0, CountRows(directory.Path, "connections"));
        Assert.False(backend.TryTakeEvent(out var extra), $"unexpected {extra?.RouteKey} for {extra?.ConnectionId}");
        Assert.Contains("Purged 2 connection(s)", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterSigkill_ADisconnectThatKeepsFailing_IsGivenUpAtTheRetryWindow_AndLeavesTheOutbox()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        backend.Respond("disconnect", _ => Task.FromResult((503, "down for good")));
        var definition = await backend.WriteDisconnectDefinitionAsync(directory.Path);
        var shortWindow = new Dictionary<string, string> { ["Switchboard__Limits__LostDisconnectRetryWindow"] = "00:00:02" };

        string lostId;
        await using (var crashed = await ServerProcess.StartAsync(directory.Path, ["--definition", definition], environment: shortWindow))
        {
            await using var client = await crashed.ConnectAsync();
            lostId = await client.WhoAmIAsync();
            await crashed.KillAsync();
            client.Socket.Abort();
        }

        await using var restarted = await ServerProcess.StartAsync(directory.Path, ["--definition", definition], environment: shortWindow);

        // Tried at once, then after 1 s, 2 s, … while the next try still falls within the window (how many fit depends on
        // how long the start took after the loss was found): then given up, and tried no more.
        var givenUp = $"$disconnect for connection {lostId}, lost with its gateway node, given up after ";
        await restarted.WaitForOutputAsync(givenUp, timeout: TimeSpan.FromSeconds(30));
        var attempts = int.Parse(System.Text.RegularExpressions.Regex.Match(restarted.Output, System.Text.RegularExpressions.Regex.Escape(givenUp) + @"(\d+) attempt").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(attempts, 1, 3);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            Assert.Equal(lostId, (await backend.NextEventAsync("$disconnect", TimeSpan.FromSeconds(30))).ConnectionId);
        }

        await Eventually.UntilAsync(() => Task.FromResult(CountRows(directory.Path, "lost_connections") == 0), TimeSpan.FromSeconds(30), "the outbox to empty");
        Assert.False(backend.TryTakeEvent(out var extra), $"unexpected {extra?.RouteKey} for {extra?.ConnectionId}");
    }

    [Fact]
    public async Task Sigterm_ClosesClientsWith1001_RunsDisconnect_ExitsWith0_AndLeavesNoEntries()
    {
        using var directory = new TemporaryDirectory();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await using var backend = await RecordingBackend.StartAsync();
        var definition = await backend.WriteDisconnectDefinitionAsync(directory.Path);

        string[] ids;
        await using (var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition]))
        {
            await using var first = await server.ConnectAsync();
            await using var second = await server.ConnectAsync();
            ids = [await first.WhoAmIAsync(), await second.WhoAmIAsync()];
            var closes = new[] { first, second }.Select(AnswerCloseAsync).ToArray();

            var exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(60));

            Assert.True(exitCode == 0, $"exit code {exitCode}; output:{Environment.NewLine}{server.Output}");
            foreach (var (status, reason) in await Task.WhenAll(closes))
            {
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
                Assert.Equal("Server shutting down", reason);
            }

            // The process waited for $disconnect before exiting: both events are already here.
            var disconnects = new List<RecordedEvent>();
            while (backend.TryTakeEvent(out var recorded))
            {
                disconnects.Add(recorded!);
            }

            Assert.Equal(ids.Order(StringComparer.Ordinal), disconnects.Select(e => e.ConnectionId).Order(StringComparer.Ordinal));
            Assert.All(disconnects, e =>
            {
                Assert.Equal("$disconnect", e.RouteKey);
                Assert.Equal(1001, e.RequestContext.GetProperty("disconnectStatusCode").GetInt32());
                Assert.Equal("Server shutting down", e.RequestContext.GetProperty("disconnectReason").GetString());
            });
        }

        Assert.Equal(0, CountRegistryRows(directory.Path));

        await using var restarted = await ServerProcess.StartAsync(directory.Path, ["--definition", definition]);
        Assert.Empty(await ServerProcessClients.ListAllIdsAsync(http, restarted.ManagementEndpoint()));
        using var get = await http.GetAsync(new Uri($"{restarted.ManagementEndpoint()}/@connections/{Uri.EscapeDataString(ids[0])}"));
        AssertGone(get);
    }

    /// <summary>Waits for the server's close frame and answers it, completing the closing handshake.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Reason)> AnswerCloseAsync(TestClient client)
    {
        var close = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(30));
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        return close;
    }

    private static void AssertGone(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Equal("GoneException", response.Headers.GetValues("x-amzn-ErrorType").Single());
    }

    /// <summary>Rows in the server's registry file (switchboard.db in its working directory), read directly.</summary>
    private static long CountRegistryRows(string workingDirectory) => CountRows(workingDirectory, "connections");

    private static long CountRows(string workingDirectory, string table)
    {
        using var connection = OpenRegistryFile(workingDirectory);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<long?> ReadLostOrRegisteredConnectedAtAsync(string workingDirectory, string connectionId)
    {
        using var connection = OpenRegistryFile(workingDirectory);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT connected_at FROM connections WHERE id = $id";
        command.Parameters.AddWithValue("$id", connectionId);
        return await command.ExecuteScalarAsync() as long?;
    }

    private static SqliteConnection OpenRegistryFile(string workingDirectory)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = Path.Combine(workingDirectory, "switchboard.db"), Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        return connection;
    }
}

/// <summary>Tests that start the real executable run one at a time: each process needs a core to start in time.</summary>
[CollectionDefinition(Name)]
public sealed class ServerProcessGroup
{
    public const string Name = "Server processes";
}
