using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Backplane;
using Switchboard.Connections;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// The <see cref="IBackplane"/> contract, run against every implementation (one subclass each): a cluster of real
/// gateways in this process, clients on real sockets, operations issued through a node's <see cref="IBackplane"/>.
/// Every test starts its own cluster.
/// </summary>
public abstract class BackplaneConformanceTests : IAsyncLifetime
{
    private readonly List<TestClient> _clients = [];

    /// <summary>Records the <c>$connect</c> and <c>$disconnect</c> events of every node.</summary>
    protected RouteEventRecorder Recorder { get; } = new();

    /// <summary>The nodes of the cluster, <see cref="NodeCount"/> of them.</summary>
    protected IReadOnlyList<TestGateway> Nodes { get; private set; } = [];

    /// <summary>How many nodes the implementation's cluster has: 1 for a single-node backplane.</summary>
    protected abstract int NodeCount { get; }

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>();
        string[] routeKeys = ["$connect", "$disconnect"];
        for (var i = 0; i < routeKeys.Length; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routeKeys[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "inprocess";
            settings[$"Switchboard:Routes:{i}:Integration:Handler"] = "recorder";
        }

        var nodes = new List<TestGateway>();
        for (var i = 0; i < NodeCount; i++)
        {
            nodes.Add(await StartNodeAsync(new Dictionary<string, string?>(settings), switchboard => switchboard.AddRouteHandler("recorder", Recorder.HandleAsync)));
        }

        Nodes = nodes;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts one node of the cluster with <paramref name="settings"/> (the suite's routes; add the implementation's
    /// own) and the suite's route handler (<paramref name="suiteServices"/>; call it, then add the implementation).
    /// </summary>
    protected abstract Task<TestGateway> StartNodeAsync(Dictionary<string, string?> settings, Action<ISwitchboardBuilder> suiteServices);

    [Fact]
    public async Task SendAsync_ThroughOneNode_QueuesEveryMessageOnce_InTheOrderIssued()
    {
        var (client, id) = await ConnectAsync(Nodes[0]);
        var sender = BackplaneOf(Nodes[^1]);

        // Issued one after the other without waiting for any answer, as concurrent posts through one node are.
        var sends = Enumerable.Range(0, 300)
            .Select(i => sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText($"m{i}"), CancellationToken.None).AsTask())
            .ToList();

        Assert.All(await Task.WhenAll(sends), status => Assert.Equal(SendStatus.Queued, status));
        Assert.Equal(SendStatus.Queued, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText("end"), CancellationToken.None));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"m{i}").Append("end"), await ReceiveTextsAsync(client, 301));
    }

    [Fact]
    public async Task SendAsync_KeepsThePayload_TextAsText_AndBinaryAsBinary()
    {
        var (client, id) = await ConnectAsync(Nodes[0]);
        var sender = BackplaneOf(Nodes[^1]);
        byte[] binary = [0xff, 0x00, 0xfe, 0x80];

        Assert.Equal(SendStatus.Queued, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText("テキスト ✓"), CancellationToken.None));
        Assert.Equal(SendStatus.Queued, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromBytes(binary), CancellationToken.None));

        var text = await client.ReceiveAsync();
        Assert.Equal((WebSocketMessageType.Text, "テキスト ✓"), (text.Type, Encoding.UTF8.GetString(text.Payload)));
        var received = await client.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, received.Type);
        Assert.Equal(binary, received.Payload);
    }

    [Fact]
    public async Task SendAsync_ToANodeThatDoesNotHoldTheConnection_IsGone_AndDeliversNothing()
    {
        var (client, id) = await ConnectAsync(Nodes[0]);
        var sender = BackplaneOf(Nodes[^1]);

        foreach (var other in Nodes.Skip(1))
        {
            Assert.Equal(SendStatus.Gone, await sender.SendAsync(IdOf(other), id, OutboundMessage.FromText("wrong node"), CancellationToken.None));
        }

        Assert.Equal(SendStatus.Gone, await sender.SendAsync("node-nobody", id, OutboundMessage.FromText("no such node"), CancellationToken.None));
        Assert.Equal(SendStatus.Gone, await sender.SendAsync(IdOf(Nodes[0]), ConnectionId.New(), OutboundMessage.FromText("no such connection"), CancellationToken.None));

        Assert.Equal(SendStatus.Queued, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText("only this"), CancellationToken.None));
        Assert.Equal("only this", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task DisconnectAsync_ThroughTheOwningNode_ClosesWith1000_ConnectionClosedNormally_ThenIsGone()
    {
        var (client, id) = await ConnectAsync(Nodes[0]);
        var sender = BackplaneOf(Nodes[^1]);

        Assert.Equal(DisconnectStatus.Closing, await sender.DisconnectAsync(IdOf(Nodes[0]), id, CancellationToken.None));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await client.ReceiveCloseAsync()).Status);
        Assert.Equal(DisconnectStatus.Gone, await sender.DisconnectAsync(IdOf(Nodes[0]), id, CancellationToken.None));
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        var disconnect = await Recorder.NextAsync("$disconnect");
        Assert.Equal((id, 1000, "Connection Closed Normally"), (disconnect.ConnectionId, disconnect.DisconnectStatusCode, disconnect.DisconnectReason));
        Assert.Equal(SendStatus.Gone, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText("too late"), CancellationToken.None));
    }

    [Fact]
    public async Task DisconnectAsync_ToANodeThatDoesNotHoldTheConnection_IsGone_AndLeavesItOpen()
    {
        var (client, id) = await ConnectAsync(Nodes[0]);
        var sender = BackplaneOf(Nodes[^1]);

        foreach (var other in Nodes.Skip(1))
        {
            Assert.Equal(DisconnectStatus.Gone, await sender.DisconnectAsync(IdOf(other), id, CancellationToken.None));
        }

        Assert.Equal(DisconnectStatus.Gone, await sender.DisconnectAsync("node-nobody", id, CancellationToken.None));
        Assert.Equal(DisconnectStatus.Gone, await sender.DisconnectAsync(IdOf(Nodes[0]), ConnectionId.New(), CancellationToken.None));

        Assert.Equal(SendStatus.Queued, await sender.SendAsync(IdOf(Nodes[0]), id, OutboundMessage.FromText("still open"), CancellationToken.None));
        Assert.Equal("still open", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task BroadcastToOtherNodesAsync_ReachesEveryConnectionOfTheOtherNodesOnce_AndCountsThem()
    {
        var clients = new List<(TestGateway Node, TestClient Client, string Id)>();
        foreach (var node in Nodes)
        {
            for (var i = 0; i < 2; i++)
            {
                var (client, id) = await ConnectAsync(node);
                clients.Add((node, client, id));
            }
        }

        var recipients = await BackplaneOf(Nodes[0]).BroadcastToOtherNodesAsync(OutboundMessage.FromText("to the others"), CancellationToken.None);

        Assert.Equal(2 * (NodeCount - 1), recipients);
        foreach (var (node, client, id) in clients)
        {
            // A marker through the owning node shows whether the broadcast came before it, and that it came once.
            Assert.Equal(SendStatus.Queued, await BackplaneOf(node).SendAsync(IdOf(node), id, OutboundMessage.FromText("marker"), CancellationToken.None));
            var expected = node == Nodes[0] ? new[] { "marker" } : ["to the others", "marker"];
            Assert.Equal(expected, await ReceiveTextsAsync(client, expected.Length));
        }
    }

    /// <summary>Opens a client on <paramref name="node"/>; it is disposed with the test.</summary>
    protected async Task<(TestClient Client, string ConnectionId)> ConnectAsync(TestGateway node)
    {
        var client = await node.ConnectAsync();
        _clients.Add(client);
        return (client, (await Recorder.NextAsync("$connect")).ConnectionId);
    }

    protected static IBackplane BackplaneOf(TestGateway node) => node.Services.GetRequiredService<IBackplane>();

    protected static string IdOf(TestGateway node) => node.Services.GetRequiredService<NodeIdentity>().Id;

    private static async Task<List<string>> ReceiveTextsAsync(TestClient client, int count)
    {
        var messages = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            messages.Add(await client.ReceiveTextAsync());
        }

        return messages;
    }
}
