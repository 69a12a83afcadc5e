using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SeedApp;
using SeedApp.Handlers;
using SeedApp.Management;

namespace Switchboard.Samples.Tests;

/// <summary>
/// The seed app (samples/SeedApp) end to end with real <see cref="ClientWebSocket"/>s: $connect puts each id into the
/// webSocketConnection table, $disconnect deletes it, and "send" posts テスト to every id in the table and deletes
/// the ones that answer 410 Gone.
/// </summary>
public sealed class SeedAppTests
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Well-formed (16 characters ending in '='), and never handed out to a live connection here.</summary>
    private const string StaleId = "AAAAAAAAAAAAAAA=";

    [Fact]
    public async Task Send_PostsTestToEveryConnectionInTheTable_AndDeletesTheIdsThatAreGone()
    {
        await using var app = await SeedAppInstance.StartAsync();
        Assert.Empty(await app.TableIdsAsync());

        // $connect completes before the handshake does, so each client's row is there once ConnectAsync returns:
        // the one new row is that client's id.
        var clients = new List<ClientWebSocket>();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var before = await app.TableIdsAsync();
            clients.Add(await app.ConnectAsync());
            var added = Assert.Single((await app.TableIdsAsync()).Except(before));
            ids.Add(added);
        }

        try
        {
            Assert.Equal(ids.Order(StringComparer.Ordinal), await app.TableIdsAsync());
            // They are the gateway's own connection ids: its management API knows each of them.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            foreach (var id in ids)
            {
                using var response = await http.GetAsync(new Uri(app.ManagementEndpoint + "/@connections/" + Uri.EscapeDataString(id)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // A row whose connection ended without $disconnect reaching the table (in the original system: a
            // Lambda that failed, or a table written by another deployment).
            await app.InsertIntoTableAsync(StaleId);

            // Closing one client runs $disconnect, which deletes its row.
            var (closing, closingId) = (clients[2], ids[2]);
            await closing.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            await Waiting.UntilAsync(async () => !(await app.TableIdsAsync()).Contains(closingId), PollTimeout, $"$disconnect deleted {closingId}");
            Assert.Equal(new[] { ids[0], ids[1], StaleId }.Order(StringComparer.Ordinal), await app.TableIdsAsync());

            // {"action":"send"} from one client: both remaining clients (the sender too) receive exactly テスト.
            await clients[0].SendTextAsync(JsonSerializer.Serialize(new { action = "send" }));
            Assert.Equal("テスト", await clients[0].ReceiveTextAsync());
            Assert.Equal("テスト", await clients[1].ReceiveTextAsync());

            // The stale id answered 410 and was deleted; the live ones stay.
            await Waiting.UntilAsync(async () => !(await app.TableIdsAsync()).Contains(StaleId), PollTimeout, "the send handler deleted the stale id");
            Assert.Equal(ids.Take(2).Order(StringComparer.Ordinal), await app.TableIdsAsync());

            // Nothing else arrived in between (no second テスト, no "Data sent." reply): the next message each client
            // gets is the one posted now, and messages to a connection arrive in the order they were accepted.
            foreach (var (client, id) in clients.Take(2).Zip(ids))
            {
                using var content = new StringContent("next");
                using var posted = await http.PostAsync(new Uri(app.ManagementEndpoint + "/@connections/" + Uri.EscapeDataString(id)), content);
                Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
                Assert.Equal("next", await client.ReceiveTextAsync());
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Abort();
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Send_WithOnlyTheSender_PostsToItAlone_AndLeavesTheTableAsItWas()
    {
        await using var app = await SeedAppInstance.StartAsync();
        using var client = await app.ConnectAsync();
        var id = Assert.Single(await app.TableIdsAsync());

        await client.SendTextAsync("""{"action":"send"}""");

        Assert.Equal(SendHandler.Message, await client.ReceiveTextAsync());
        Assert.Equal([id], await app.TableIdsAsync());
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await Waiting.UntilAsync(async () => (await app.TableIdsAsync()).Length == 0, PollTimeout, "$disconnect emptied the table");
    }

    [Fact]
    public async Task ManagementClient_Answers410WithGoneException_AndOtherErrorsWithTheirErrorType()
    {
        await using var app = await SeedAppInstance.StartAsync();
        using var http = new HttpClient();
        var client = new ApiGatewayManagementApiClient(http, app.ManagementEndpoint);
        using var socket = await app.ConnectAsync();
        var id = Assert.Single(await app.TableIdsAsync());

        await client.PostToConnectionAsync(id, Encoding.UTF8.GetBytes("hello"));
        Assert.Equal("hello", await socket.ReceiveTextAsync());

        var gone = await Assert.ThrowsAsync<GoneException>(() => client.PostToConnectionAsync(StaleId, Encoding.UTF8.GetBytes("x")));
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal("GoneException", gone.ErrorType);

        var malformed = await Assert.ThrowsAsync<ApiGatewayManagementApiException>(() => client.PostToConnectionAsync("not-an-id", Encoding.UTF8.GetBytes("x")));
        Assert.IsNotType<GoneException>(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("BadRequestException", malformed.ErrorType);
    }

    [Fact]
    public async Task ConfiguredManagementEndpoint_IsUsedInsteadOfTheEventsDomainName()
    {
        // Two apps; the first one's send handler is configured to post to the second one's management API, which
        // does not know the first one's connections: they answer 410 there, so the handler deletes them from its
        // table, and its own client receives nothing.
        await using var other = await SeedAppInstance.StartAsync();
        await using var app = await SeedAppInstance.StartAsync($"--SeedApp:ManagementEndpoint={other.ManagementEndpoint}");
        using var client = await app.ConnectAsync();
        var id = Assert.Single(await app.TableIdsAsync());

        await client.SendTextAsync("""{"action":"send"}""");

        await Waiting.UntilAsync(async () => (await app.TableIdsAsync()).Length == 0, PollTimeout, "the handler deleted the id the other gateway called gone");
        using var http = new HttpClient();
        using var content = new StringContent("next");
        using var posted = await http.PostAsync(new Uri(app.ManagementEndpoint + "/@connections/" + Uri.EscapeDataString(id)), content);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal("next", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Defaults_Listen_On_127_0_0_1_8081_WithTheSeedDefinition()
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-seedapp-test-").FullName;
        try
        {
            await using var app = SeedAppHost.Build([$"--SeedApp:DataDirectory={directory}"]);
            Assert.Equal("http://127.0.0.1:8081", app.Configuration["Urls"]);
            Assert.Equal("production", app.Configuration["Switchboard:Stage"]);
            Assert.Equal(
                ["$connect:seed.connect", "$disconnect:seed.disconnect", "send:seed.send"],
                app.Configuration.GetSection("Switchboard:Routes").GetChildren().Select(r => $"{r["RouteKey"]}:{r["Integration:Handler"]}"));
            Assert.True(File.Exists(Path.Combine(directory, ConnectionTable.FileName)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
