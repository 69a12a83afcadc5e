using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>Three gateway processes on one redis-server: the management API works the same whichever node is asked.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public Cluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await Cluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterGroup.Name)]
public sealed partial class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private Cluster Cluster => fixture.Cluster;

    private ServerProcess A => Cluster.Nodes[0];

    private ServerProcess B => Cluster.Nodes[1];

    private ServerProcess C => Cluster.Nodes[2];

    [Fact]
    public async Task PostToConnection_ViaANodeThatDoesNotHoldIt_Answers200_AndTheClientReceivesIt()
    {
        var (client, id) = await Cluster.ConnectAsync(C);
        await using var _ = client;

        using var response = await Cluster.PostAsync(A, id, "from A to a client on C — テスト");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(response.Headers.GetValues("x-amzn-RequestId").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("from A to a client on C — テスト", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Posts_ThroughOneNode_ToAClientOnAnother_ArriveInTheOrderAccepted()
    {
        var (client, id) = await Cluster.ConnectAsync(C);
        await using var _ = client;

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await Cluster.PostStatusAsync(A, id, $"m{i}"));
        }

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"m{i}", await client.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task GetConnection_ViaAnotherNode_ReturnsWhatTheOwningNodeRegistered()
    {
        var (client, id) = await Cluster.ConnectAsync(B);
        await using var _ = client;

        using var response = await Cluster.Http.GetAsync(Cluster.ConnectionUri(C, id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Matches(AwsTimestamp(), body.RootElement.GetProperty("connectedAt").GetString());
        Assert.Matches(AwsTimestamp(), body.RootElement.GetProperty("lastActiveAt").GetString());
        Assert.Equal("127.0.0.1", body.RootElement.GetProperty("identity").GetProperty("sourceIp").GetString());
        Assert.False(body.RootElement.TryGetProperty("connectionId", out JsonElement _));
    }

    [Fact]
    public async Task DeleteConnection_ViaAnotherNode_ClosesTheClientWith1000_ThenEveryNodeAnswers410()
    {
        var (client, id) = await Cluster.ConnectAsync(B);
        await using var _ = client;

        // As an AWS SDK sends it: '@' may come percent-encoded, the id always is.
        using var response = await Cluster.Http.DeleteAsync(Cluster.ConnectionUri(A, id, "%40connections"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (status, _) = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        foreach (var node in Cluster.Nodes)
        {
            await Cluster.EventuallyAsync(async () => await Cluster.GetStatusAsync(node, id) == HttpStatusCode.Gone, $"GET via port {node.Port} to answer 410");
            using var post = await Cluster.PostAsync(node, id, "too late");
            Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
            Assert.Equal("GoneException", post.Headers.GetValues("x-amzn-ErrorType").Single());
        }
    }

    [Fact]
    public async Task PostGetDelete_OfAnUnknownId_Answer410_OnEveryNode()
    {
        const string unknown = "AAAAAAAAAAAAAAA=";
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(HttpStatusCode.Gone, await Cluster.PostStatusAsync(node, unknown, "anyone?"));
            Assert.Equal(HttpStatusCode.Gone, await Cluster.GetStatusAsync(node, unknown));
            using var delete = await Cluster.Http.DeleteAsync(Cluster.ConnectionUri(node, unknown));
            Assert.Equal(HttpStatusCode.Gone, delete.StatusCode);
        }
    }

    [Fact]
    public async Task Listing_FromAnyNode_ShowsEveryConnectionOfTheCluster_ExactlyOnce_InIdOrder()
    {
        var clients = new List<TestClient>();
        try
        {
            var ids = new List<string>();
            foreach (var node in Cluster.Nodes)
            {
                var (client, id) = await Cluster.ConnectAsync(node);
                clients.Add(client);
                ids.Add(id);
            }

            foreach (var node in Cluster.Nodes)
            {
                var listed = await Cluster.ListAsync(node);
                Assert.Equal(listed.Order(StringComparer.Ordinal), listed);
                Assert.Equal(listed.Distinct(), listed);
                Assert.All(ids, id => Assert.Contains(id, listed));
            }

            // Paging one at a time through nextToken gives the same listing.
            var paged = new List<string>();
            string? nextToken = null;
            do
            {
                var url = $"{B.ManagementEndpoint()}/@connections?limit=1" + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken));
                using var page = JsonDocument.Parse(await Cluster.Http.GetStringAsync(new Uri(url)));
                paged.AddRange(page.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("connectionId").GetString()!));
                var token = page.RootElement.GetProperty("nextToken");
                nextToken = token.ValueKind == JsonValueKind.String ? token.GetString() : null;
            }
            while (nextToken is not null);

            Assert.All(ids, id => Assert.Single(paged, id));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Broadcast_FromOneNode_ReachesClientsOnAllThreeNodes_AndCountsThem()
    {
        var connected = new List<(TestClient Client, string Id)>();
        try
        {
            foreach (var node in Cluster.Nodes)
            {
                connected.Add(await Cluster.ConnectAsync(node));
            }

            // Other tests' clients may still be closing; the count is exact once only these three are open.
            var ids = connected.Select(c => c.Id).Order(StringComparer.Ordinal).ToList();
            await Cluster.EventuallyAsync(async () => (await Cluster.ListAsync(B)).SequenceEqual(ids), "the listing to hold just this test's clients");

            using var response = await Cluster.Http.PostAsync(new Uri($"{B.ManagementEndpoint()}/@broadcast"), new StringContent("to everyone, once"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(3, body.RootElement.GetProperty("recipients").GetInt64());
            foreach (var (client, _) in connected)
            {
                Assert.Equal("to everyone, once", await client.ReceiveTextAsync());
            }
        }
        finally
        {
            foreach (var (client, _) in connected)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Health_OfEveryNode_IsHealthy_WithTheRedisCheck()
    {
        foreach (var node in Cluster.Nodes)
        {
            var (status, body) = await Cluster.HealthAsync(node);
            using var _ = body;

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
            Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex AwsTimestamp();
}
