using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>RFC 6455 and API Gateway's frame rules: what closes a connection, with which code, and what does not.</summary>
public sealed class ProtocolTests
{
    private const int FrameLimit = 1024;
    private const int MessageLimit = 4096;

    /// <summary>Records $default and $disconnect; $default is two-way and echoes "echo:" + the message.</summary>
    private readonly RecordingRouteHandler _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(RouteResponse.WithBody("echo:" + e.Body)),
    };

    private Task<TestGateway> StartAsync() => TestGateway.StartAsync(
        new Dictionary<string, string?>
        {
            ["Switchboard:Limits:MaxFrameBytes"] = FrameLimit.ToString(),
            ["Switchboard:Limits:MaxMessageBytes"] = MessageLimit.ToString(),
            ["Switchboard:Routes:0:RouteKey"] = "$default",
            ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
            ["Switchboard:Routes:0:Integration:Handler"] = "recorder",
            ["Switchboard:Routes:0:TwoWay"] = "true",
            ["Switchboard:Routes:1:RouteKey"] = "$disconnect",
            ["Switchboard:Routes:1:Integration:Type"] = "inprocess",
            ["Switchboard:Routes:1:Integration:Handler"] = "recorder",
        },
        services => services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler));

    [Fact]
    public async Task PlainHttpGet_Answers426_WithUpgradeWebsocketHeader()
    {
        await using var gateway = await StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(gateway.BaseUri, "/" + gateway.Stage));

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Contains("websocket", response.Headers.GetValues("Upgrade"), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task BinaryFrame_ClosesWith1003()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        var (status, _) = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        Assert.Equal(1003, (await _handler.NextEventAsync("$disconnect")).DisconnectStatusCode);
    }

    [Fact]
    public async Task FrameOfExactlyMaxFrameBytes_IsAccepted_OneByteMore_ClosesWith1009()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        var atLimit = new string('a', FrameLimit);
        await client.SendTextAsync(atLimit);
        Assert.Equal("echo:" + atLimit, await client.ReceiveTextAsync());

        await client.SendTextAsync(new string('b', FrameLimit + 1));
        var (status, _) = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal(1009, (await _handler.NextEventAsync("$disconnect")).DisconnectStatusCode);
    }

    [Fact]
    public async Task FragmentedMessageOverMaxMessageBytes_ClosesWith1009_ThoughEveryFrameIsWithinTheFrameLimit()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        // Five frames of exactly the frame limit: 5120 bytes in all, over the 4096-byte message limit.
        for (var i = 0; i < 5; i++)
        {
            await client.Socket.SendAsync(Encoding.UTF8.GetBytes(new string('x', FrameLimit)), WebSocketMessageType.Text, endOfMessage: i == 4, CancellationToken.None);
        }

        var (status, _) = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task ThousandsOfEmptyContinuations_CloseWith1009_AtMaxFramesPerMessage()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        // Within every byte limit: one byte of text followed by 5,000 empty continuation frames, in one write.
        var empty = RawWebSocketClient.EncodeFrame(RawWebSocketClient.Continuation, [], fin: false);
        var flood = new List<byte>(RawWebSocketClient.EncodeFrame(RawWebSocketClient.Text, "x"u8, fin: false));
        for (var i = 0; i < 5_000; i++)
        {
            flood.AddRange(empty);
        }

        await client.SendRawAsync(flood.ToArray());

        var close = await client.ReceiveCloseAsync();
        Assert.Equal(1009, close.CloseCode);
        Assert.Equal("Message exceeds 1024 frames", close.CloseReason);
        Assert.Equal(1009, (await _handler.NextEventAsync("$disconnect")).DisconnectStatusCode);
    }

    [Fact]
    public async Task FragmentedMessageWithinLimits_IsRoutedAsOneMessage()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        // Four frames of exactly the frame limit: exactly the message limit.
        var parts = Enumerable.Range(0, 4).Select(i => new string((char)('k' + i), FrameLimit)).ToArray();
        for (var i = 0; i < parts.Length; i++)
        {
            await client.Socket.SendAsync(Encoding.UTF8.GetBytes(parts[i]), WebSocketMessageType.Text, endOfMessage: i == parts.Length - 1, CancellationToken.None);
        }

        var whole = string.Concat(parts);
        Assert.Equal("echo:" + whole, await client.ReceiveTextAsync());
        Assert.Equal(whole, (await _handler.NextEventAsync("$default")).Body);
    }

    [Fact]
    public async Task InvalidUtf8InTextFrame_ClosesWith1007()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        Assert.Equal(101, client.HandshakeStatusCode);

        await client.SendFrameAsync(RawWebSocketClient.Text, new byte[] { (byte)'h', 0xC3, 0x28, (byte)'!' });

        var close = await client.ReceiveCloseAsync();
        Assert.Equal(1007, close.CloseCode);
        Assert.Equal(1007, (await _handler.NextEventAsync("$disconnect")).DisconnectStatusCode);
    }

    [Fact]
    public async Task Utf8CharacterSplitAcrossFragments_IsAccepted()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        // "é" is C3 A9: the first fragment alone is not valid UTF-8, the whole message is.
        await client.SendFrameAsync(RawWebSocketClient.Text, new byte[] { (byte)'<', 0xC3 }, fin: false);
        await client.SendFrameAsync(RawWebSocketClient.Continuation, new byte[] { 0xA9, (byte)'>' });

        var reply = await client.ReceiveFrameAsync();
        Assert.Equal(RawWebSocketClient.Text, reply.Opcode);
        Assert.Equal("echo:<é>", Encoding.UTF8.GetString(reply.Payload));
    }

    [Fact]
    public async Task UnmaskedClientFrame_ClosesWith1002()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        await client.SendFrameAsync(RawWebSocketClient.Text, "hello"u8.ToArray(), masked: false);

        var close = await client.ReceiveCloseAsync();
        Assert.Equal(1002, close.CloseCode);
        Assert.Equal(1002, (await _handler.NextEventAsync("$disconnect")).DisconnectStatusCode);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x20)]
    [InlineData(0x10)]
    public async Task ReservedBitSet_ClosesWith1002(int reservedBit)
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        await client.SendFrameAsync(RawWebSocketClient.Text, "hello"u8.ToArray(), reservedBits: reservedBit);

        var close = await client.ReceiveCloseAsync();
        Assert.Equal(1002, close.CloseCode);
    }

    [Fact]
    public async Task Ping_IsAnsweredWithPongCarryingTheSamePayload()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        await client.SendFrameAsync(RawWebSocketClient.Ping, "are you there?"u8.ToArray());

        var pong = await client.ReceiveFrameAsync();
        Assert.Equal(RawWebSocketClient.Pong, pong.Opcode);
        Assert.True(pong.Fin);
        Assert.False(pong.Masked);
        Assert.Equal("are you there?"u8.ToArray(), pong.Payload);

        // The ping reached no route: the first event the handler sees is the message sent after it.
        await client.SendTextAsync("after the ping");
        Assert.Equal("echo:after the ping", Encoding.UTF8.GetString((await client.ReceiveFrameAsync()).Payload));
        Assert.Equal("after the ping", (await _handler.NextEventAsync()).Body);
    }

    [Fact]
    public async Task ProtocolErrorOnOneConnection_DoesNotDisturbAnother()
    {
        await using var gateway = await StartAsync();
        await using var healthy = await gateway.ConnectAsync();
        await using var broken = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        await healthy.SendTextAsync("before");
        Assert.Equal("echo:before", await healthy.ReceiveTextAsync());

        await broken.SendFrameAsync(RawWebSocketClient.Text, "x"u8.ToArray(), masked: false);
        Assert.Equal(1002, (await broken.ReceiveCloseAsync()).CloseCode);
        await _handler.NextEventAsync("$disconnect");

        await healthy.SendTextAsync("after");
        Assert.Equal("echo:after", await healthy.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, healthy.Socket.State);
    }

    [Fact]
    public async Task ClientCloseWithStatus_IsEchoed_AndReportedToDisconnect()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(1000, disconnect.DisconnectStatusCode);
        Assert.Equal("bye", disconnect.DisconnectReason);
    }

    [Fact]
    public async Task ClientCloseWithoutStatus_IsReportedAs1005_WithApiGatewaysReason()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        await client.SendCloseAsync(code: null);

        var echo = await client.ReceiveCloseAsync();
        Assert.Empty(echo.Payload);
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(1005, disconnect.DisconnectStatusCode);
        Assert.Equal("Client-side close frame status not set", disconnect.DisconnectReason);
    }
}
