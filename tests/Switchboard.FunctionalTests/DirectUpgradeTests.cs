using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:Transport:DirectUpgrade</c>: a connection middleware answers well-formed handshakes for
/// <c>/{stage}</c> before Kestrel's HTTP layer and passes everything else on to it untouched. Each test counts the
/// requests for <c>/{stage}</c> that application middleware sees, which tells which path a handshake took.
/// </summary>
public sealed class DirectUpgradeTests
{
    private const string NotWebSocketMessage = "This endpoint accepts WebSocket connections only (send an HTTP/1.1 Upgrade: websocket request).";

    /// <summary>Records $connect, $disconnect and $default; $default is two-way and echoes the message.</summary>
    private readonly RecordingRouteHandler _handler;

    /// <summary>What $connect answers.</summary>
    private RouteResponse _connectResponse = RouteResponse.Ok;

    /// <summary>Requests for <c>/{stage}</c> seen by application middleware.</summary>
    private int _stageRequests;

    public DirectUpgradeTests() => _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(e.RouteKey switch
        {
            "$default" => RouteResponse.WithBody("echo:" + e.Body),
            "$connect" => _connectResponse,
            _ => RouteResponse.Ok,
        }),
    };

    private int StageRequests => Volatile.Read(ref _stageRequests);

    private Task<TestGateway> StartAsync(bool directUpgrade = true, Dictionary<string, string?>? extra = null, Action<ISwitchboardBuilder>? configureServices = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []) { ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false" };
        RecorderRoutes.AddTo(settings, ["$connect", "$disconnect", "$default"]);

        return TestGateway.StartAsync(
            settings,
            services =>
            {
                services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler);
                configureServices?.Invoke(services);
            },
            configureApp: app => app.Use((context, next) =>
            {
                if (context.Request.Path == "/production")
                {
                    Interlocked.Increment(ref _stageRequests);
                }

                return next(context);
            }),
            configureBuilder: configureBuilder);
    }

    private static async Task AssertEchoesAsync(RawWebSocketClient client, string text)
    {
        await client.SendTextAsync(text);
        var reply = await client.ReceiveFrameAsync();
        Assert.Equal(RawWebSocketClient.Text, reply.Opcode);
        Assert.Equal("echo:" + text, Encoding.UTF8.GetString(reply.Payload));
    }

    /// <summary>Opens a TCP connection and sends <paramref name="bytes"/> as one write.</summary>
    private static async Task<RawWebSocketClient> SendRawAsync(TestGateway gateway, byte[] bytes)
    {
        var client = await RawWebSocketClient.OpenAsync(gateway.WebSocketUri);
        await client.SendRawAsync(bytes);
        return client;
    }

    [Fact]
    public async Task HandshakeSentOneByteAtATime_IsUpgradedDirectly_AndRoutesMessages()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.OpenAsync(gateway.WebSocketUri);
        var request = RawWebSocketClient.HandshakeRequest(gateway.WebSocketUri);

        for (var i = 0; i < request.Length; i++)
        {
            await client.SendRawAsync(request.AsMemory(i, 1));
        }

        Assert.Equal(101, await client.ReadResponseHeadAsync());
        await AssertEchoesAsync(client, "byte by byte");
        Assert.Equal(0, StageRequests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PostRightAfterTheHandshake_IsDelivered(bool directUpgrade)
    {
        // The connection joins the local table before its 101 is written (what is posted in between follows the 101),
        // so a post sent as soon as the client has its 101 must find it. The window this closes is microseconds wide,
        // so this test shows the behaviour rather than reliably catching its regression; LifetimeTests' keep-alive
        // test, which sweeps right after the handshake, did catch it.
        await using var gateway = await StartAsync(directUpgrade);
        using var http = new HttpClient();
        for (var i = 0; i < 20; i++)
        {
            await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
            var connectionId = (await _handler.NextEventAsync("$connect")).ConnectionId;

            using var response = await http.PostAsync(gateway.ConnectionUri(connectionId), new StringContent($"hello {i}"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"hello {i}", Encoding.UTF8.GetString((await client.ReceiveFrameAsync()).Payload));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FrameSentInTheSameWriteAsTheHandshake_IsRouted(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade);
        byte[] handshakeAndFrame = [.. RawWebSocketClient.HandshakeRequest(gateway.WebSocketUri), .. RawWebSocketClient.EncodeFrame(RawWebSocketClient.Text, "right behind"u8)];

        await using var client = await SendRawAsync(gateway, handshakeAndFrame);

        Assert.Equal(101, await client.ReadResponseHeadAsync());
        Assert.Equal("echo:right behind", Encoding.UTF8.GetString((await client.ReceiveFrameAsync()).Payload));
        Assert.Equal("right behind", (await _handler.NextEventAsync("$default")).Body);
        Assert.Equal(directUpgrade ? 0 : 1, StageRequests);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task ApplicationMiddleware_SeesWebSocketHandshakes_OnlyWithoutDirectUpgrade(bool directUpgrade, int seen)
    {
        await using var gateway = await StartAsync(directUpgrade);

        await using (var client = await gateway.ConnectAsync())
        {
            await client.SendTextAsync("hi");
            Assert.Equal("echo:hi", await client.ReceiveTextAsync());
        }

        Assert.Equal(seen, StageRequests);

        // The middleware is in the pipeline either way: a plain GET of the stage goes through it.
        using var http = new HttpClient();
        using var response = await http.GetAsync(gateway.ManagementEndpoint);
        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal(seen + 1, StageRequests);
    }

    [Theory]
    [InlineData(null, NotWebSocketMessage)]
    [InlineData("8", "Unsupported WebSocket version; this server speaks version 13.")]
    public async Task RequestsOfTheStageThatAreNoValidHandshake_ArePassedOn_AndAnswered426WithTheEndpointsMessage(string? webSocketVersion, string message)
    {
        await using var gateway = await StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, gateway.ManagementEndpoint);
        if (webSocketVersion is not null)
        {
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
            request.Headers.Add("Sec-WebSocket-Version", webSocketVersion);
            request.Headers.Add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal("13", Assert.Single(response.Headers.GetValues("Sec-WebSocket-Version")));
        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(1, StageRequests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HandshakeOverHttp10_IsAnswered426_NotUpgraded(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade);
        await using var client = await RawWebSocketClient.OpenAsync(gateway.WebSocketUri);
        var request = Encoding.ASCII.GetString(RawWebSocketClient.HandshakeRequest(gateway.WebSocketUri)).Replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n", StringComparison.Ordinal);

        await client.SendRawAsync(Encoding.ASCII.GetBytes(request));

        // RFC 6455 4.1: the opening handshake is an HTTP/1.1 request (or higher).
        Assert.Equal(426, await client.ReadResponseHeadAsync());
        Assert.Equal(1, StageRequests);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task HttpsEndpointOfTheKestrelSection_IsUpgradedDirectlyInsideTls_ManagementCallsToo(bool directUpgrade, int seen)
    {
        using var directory = new TemporaryDirectory();
        var tls = new SelfSignedCertificate("secret");
        var certificate = Path.Combine(directory.Path, "gateway.pfx");
        await File.WriteAllBytesAsync(certificate, tls.Pfx);
        await using var gateway = await StartAsync(
            directUpgrade,
            new()
            {
                ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
                ["Kestrel:Endpoints:Https:Certificate:Path"] = certificate,
                ["Kestrel:Endpoints:Https:Certificate:Password"] = "secret",
            },
            configureBuilder: builder => builder.WebHost.UseKestrelHttpsConfiguration());
        Assert.Equal(Uri.UriSchemeHttps, gateway.BaseUri.Scheme);

        using var invoker = new HttpMessageInvoker(tls.TrustingHandler());
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(gateway.WebSocketUri, invoker, CancellationToken.None);
            await using var client = new TestClient(socket);
            await client.SendTextAsync("over tls");
            Assert.Equal("echo:over tls", await client.ReceiveTextAsync());
        }

        // Direct: the handshake never reached application middleware, so it was answered inside TLS, below HTTP.
        Assert.Equal(seen, StageRequests);
        using var http = new HttpClient(tls.TrustingHandler());
        using var listing = await http.GetAsync(new Uri($"{gateway.ManagementEndpoint}/@connections"));
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
    }

    [Fact]
    public async Task ManagementCallsOnTheSamePort_AreAnsweredByTheHttpPipeline()
    {
        await using var gateway = await StartAsync();
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;

        using var post = await http.PostAsync(gateway.ConnectionUri(connectionId), new StringContent("pushed"));
        using var get = await http.GetAsync(gateway.ConnectionUri(connectionId));

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("pushed", await client.ReceiveTextAsync());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(0, StageRequests);
    }

    [Fact]
    public async Task HandshakeAsSecondRequestOfAKeepAliveConnection_IsUpgradedThroughTheHttpPipeline()
    {
        await using var gateway = await StartAsync();
        await using var client = await SendRawAsync(gateway, Encoding.ASCII.GetBytes($"GET /nothing-here HTTP/1.1\r\nHost: {gateway.BaseUri.Authority}\r\n\r\n"));
        Assert.Equal(404, await client.ReadResponseHeadAsync());
        Assert.Equal("0", client.HandshakeHeaders["content-length"]);

        await client.SendRawAsync(RawWebSocketClient.HandshakeRequest(gateway.WebSocketUri));

        Assert.Equal(101, await client.ReadResponseHeadAsync());
        await AssertEchoesAsync(client, "second request");
        Assert.Equal(1, StageRequests);
    }

    [Fact]
    public async Task ConnectRouteRefusal_IsAnsweredWithItsStatusAndConnectionClose_ThenTheConnectionIsClosed_LeavingNoEntry()
    {
        _connectResponse = RouteResponse.WithStatus(403);
        await using var gateway = await StartAsync();

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        Assert.Equal(403, client.HandshakeStatusCode);
        Assert.Equal("close", client.HandshakeHeaders["connection"]);
        Assert.Equal("0", client.HandshakeHeaders["content-length"]);
        await client.WaitForEndOfStreamAsync();
        var refused = await _handler.NextEventAsync("$connect");
        using var http = new HttpClient();
        Assert.Empty(await gateway.ListIdsAsync(http));
        using var getRefused = await http.GetAsync(gateway.ConnectionUri(refused.ConnectionId));
        Assert.Equal(HttpStatusCode.Gone, getRefused.StatusCode);
        Assert.Equal(0, StageRequests);
    }

    [Fact]
    public async Task HeadNotCompleteWithinRequestHeadersTimeout_AbortsTheConnection_AHeadCompletedJustBeforeIsUpgraded()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartAsync(
            extra: new() { ["Switchboard:Limits:KeepAliveInterval"] = "00:00:00" },
            configureServices: services => services.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        var timeout = gateway.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.RequestHeadersTimeout;
        var handshake = RawWebSocketClient.HandshakeRequest(gateway.WebSocketUri);
        var requestLine = handshake[..(handshake.AsSpan().IndexOf("\r\n"u8) + 2)];
        var timersBefore = time.TimersCreated(timeout);

        await using var prompt = await SendRawAsync(gateway, requestLine);
        await time.WaitForTimerAsync(timeout, timersBefore + 1);
        time.Advance(timeout - TimeSpan.FromMilliseconds(1));
        await prompt.SendRawAsync(handshake.AsMemory(requestLine.Length));
        Assert.Equal(101, await prompt.ReadResponseHeadAsync());

        await using var stalled = await SendRawAsync(gateway, requestLine);
        await time.WaitForTimerAsync(timeout, timersBefore + 2);
        time.Advance(timeout);
        await stalled.WaitForEndOfStreamAsync();

        // The head timeout ended with the handshake: the upgraded connection outlived it.
        await AssertEchoesAsync(prompt, "still open");
        Assert.Equal(0, StageRequests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InfiniteRequestHeadersTimeout_StillServesHandshakesAndManagementCalls(bool directUpgrade)
    {
        // Kestrel stores Timeout.InfiniteTimeSpan as TimeSpan.MaxValue.
        await using var gateway = await StartAsync(directUpgrade, configureServices: services =>
            services.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.RequestHeadersTimeout = Timeout.InfiniteTimeSpan));

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        using var http = new HttpClient();

        Assert.Equal(101, client.HandshakeStatusCode);
        await AssertEchoesAsync(client, "no head timeout");
        Assert.Single(await gateway.ListIdsAsync(http));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConnectMessageAndDisconnect_AreTheSame_DirectOrThroughTheHttpPipeline(bool directUpgrade)
    {
        _connectResponse = new RouteResponse { Headers = new Dictionary<string, string> { ["Sec-WebSocket-Protocol"] = "chat.v2" } };
        await using var gateway = await StartAsync(directUpgrade);

        await using var client = await gateway.ConnectAsync("?room=42&room=43&flag", options =>
        {
            options.AddSubProtocol("chat.v1");
            options.AddSubProtocol("chat.v2");
            options.SetRequestHeader("X-Client", "tests");
        });

        Assert.Equal("chat.v2", client.Socket.SubProtocol);
        var connect = await _handler.NextEventAsync("$connect");
        Assert.Equal(gateway.BaseUri.Authority, connect.DomainName);
        var query = connect.QueryString!.ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
        Assert.Equal(new Dictionary<string, string> { ["room"] = "42,43", ["flag"] = "" }, query);
        var headers = connect.Headers!.ToDictionary(pair => pair.Key, pair => pair.Value.ToString());
        Assert.Equal(
            ["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Protocol", "Sec-WebSocket-Version", "X-Amzn-Trace-Id", "X-Client", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"],
            headers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(gateway.BaseUri.Authority, headers["Host"]);
        Assert.Equal("chat.v1, chat.v2", headers["Sec-WebSocket-Protocol"]);
        Assert.Equal("tests", headers["X-Client"]);
        Assert.Equal(gateway.BaseUri.Port.ToString(), headers["X-Forwarded-Port"]);
        Assert.Equal("http", headers["X-Forwarded-Proto"]);

        await client.SendTextAsync("hello");
        Assert.Equal("echo:hello", await client.ReceiveTextAsync());
        Assert.Equal(connect.ConnectionId, (await _handler.NextEventAsync("$default")).ConnectionId);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
        var disconnect = await _handler.NextEventAsync("$disconnect");
        Assert.Equal(connect.ConnectionId, disconnect.ConnectionId);
        Assert.Equal(1000, disconnect.DisconnectStatusCode);
        Assert.Equal("bye", disconnect.DisconnectReason);
        Assert.Equal(directUpgrade ? 0 : 1, StageRequests);
    }

    private static readonly string[] StandardLines = ["Host: {host}", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="];

    /// <summary>Requests the middleware may take; "{host}" stands for the gateway's authority.</summary>
    private static readonly (string Name, string Request)[] UnusualHandshakes =
    [
        ("trailing slash", Request("GET /production/ HTTP/1.1")),
        ("query", Request("GET /production?a=1&b HTTP/1.1")),
        ("stage in other case", Request("GET /PRODUCTION HTTP/1.1")),
        ("Connection with two tokens, Upgrade in other case", Request(lines: ["Host: {host}", "Connection: keep-alive, upgrade", "Upgrade: WebSocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="])),
        ("Content-Length: 0", Request(lines: [.. StandardLines, "Content-Length: 0"])),
        ("Content-Length: 3 and a body", Request(lines: [.. StandardLines, "Content-Length: 3"]) + "abc"),
        ("chunked body", Request(lines: [.. StandardLines, "Transfer-Encoding: chunked"]) + "0\r\n\r\n"),
        ("invalid key", Request(lines: ["Host: {host}", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: short"])),
        ("version twice", Request(lines: [.. StandardLines, "Sec-WebSocket-Version: 13"])),
        ("no Host", Request(lines: StandardLines[1..])),
        ("two Host headers", Request(lines: [.. StandardLines, "Host: other.example"])),
        ("Host that is not a host", Request(lines: ["Host: not a/host", .. StandardLines[1..]])),
        ("empty Host", Request(lines: ["Host:", .. StandardLines[1..]])),
        ("LF line ends", Request().Replace("\r\n", "\n")),
    ];

    private static string Request(string requestLine = "GET /production HTTP/1.1", string[]? lines = null) =>
        requestLine + "\r\n" + string.Concat((lines ?? StandardLines).Select(line => line + "\r\n")) + "\r\n";

    /// <summary>The status a raw request is answered with, or -1 when none comes within 5 s.</summary>
    private static async Task<int> StatusForAsync(TestGateway gateway, string request)
    {
        await using var client = await SendRawAsync(gateway, Encoding.Latin1.GetBytes(request.Replace("{host}", gateway.BaseUri.Authority)));
        try
        {
            return await client.ReadResponseHeadAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is OperationCanceledException or EndOfStreamException)
        {
            return -1;
        }
    }

    [Fact]
    public async Task UnusualHandshakes_GetTheSameAnswerDirectAsThroughTheHttpPipeline()
    {
        await using var direct = await StartAsync(directUpgrade: true);
        await using var pipeline = await StartAsync(directUpgrade: false);

        var differences = new List<string>();
        foreach (var (name, request) in UnusualHandshakes)
        {
            var (viaDirect, viaPipeline) = (await StatusForAsync(direct, request), await StatusForAsync(pipeline, request));
            if (viaDirect != viaPipeline)
            {
                differences.Add($"{name}: {viaDirect} direct, {viaPipeline} through the HTTP pipeline");
            }
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }
}
