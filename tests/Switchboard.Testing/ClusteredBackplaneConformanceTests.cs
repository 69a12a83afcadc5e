using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Backplane;
using Switchboard.Connections;
using Switchboard.Registry;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// What the <see cref="IBackplane"/> contract adds for backplanes with other nodes: a node that the cluster sees as
/// alive but that does not answer makes the outcome unknown (503 on the management API), never a guess.
/// </summary>
public abstract class ClusteredBackplaneConformanceTests : BackplaneConformanceTests
{
    /// <summary>
    /// Makes a node that the cluster sees as alive (registered, heartbeat current, listening for requests and
    /// broadcasts) but that never answers anything, as a node frozen in a long pause would; returns its id.
    /// </summary>
    protected abstract Task<string> StartSilentNodeAsync();

    [Fact]
    public async Task SendAsync_ToAnAliveNodeThatDoesNotAnswerInTime_IsUnknown()
    {
        var silent = await StartSilentNodeAsync();

        Assert.Equal(SendStatus.Unknown, await BackplaneOf(Nodes[0]).SendAsync(silent, ConnectionId.New(), OutboundMessage.FromText("lost?"), CancellationToken.None));
    }

    [Fact]
    public async Task DisconnectAsync_ToAnAliveNodeThatDoesNotAnswerInTime_IsUnknown()
    {
        var silent = await StartSilentNodeAsync();

        Assert.Equal(DisconnectStatus.Unknown, await BackplaneOf(Nodes[0]).DisconnectAsync(silent, ConnectionId.New(), CancellationToken.None));
    }

    [Fact]
    public async Task BroadcastToOtherNodesAsync_WhenANodeDoesNotAnswer_CountsTheNodesThatDid()
    {
        await StartSilentNodeAsync();
        foreach (var node in Nodes)
        {
            await ConnectAsync(node);
        }

        var recipients = await BackplaneOf(Nodes[0]).BroadcastToOtherNodesAsync(OutboundMessage.FromText("to the others"), CancellationToken.None);

        Assert.Equal(NodeCount - 1, recipients);
    }

    [Fact]
    public async Task PostAndDelete_OfAConnectionOnANodeThatDoesNotAnswer_Answer503ServiceUnavailable()
    {
        var silent = await StartSilentNodeAsync();
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var id = ConnectionId.New();
        await Nodes[0].Services.GetRequiredService<IConnectionRegistry>().AddAsync(new ConnectionRecord(id, silent, now, now, "203.0.113.7", null), CancellationToken.None);
        using var http = new HttpClient();

        using var post = await http.PostAsync(Nodes[0].ConnectionUri(id), new StringContent("lost?"));
        using var delete = await http.DeleteAsync(Nodes[0].ConnectionUri(id));

        foreach (var (response, operation) in new[] { (post, "post"), (delete, "delete") })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("ServiceUnavailableException", response.Headers.GetValues("x-amzn-ErrorType").Single());
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Contains($"did not answer the {operation} in time", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // Unknown is not gone: the entry stays, as the connection may still be open.
        Assert.NotNull(await Nodes[0].Services.GetRequiredService<IConnectionRegistry>().GetAsync(id, CancellationToken.None));
    }
}
