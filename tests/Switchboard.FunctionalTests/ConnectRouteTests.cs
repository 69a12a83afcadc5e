using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Management;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>The <c>$connect</c> route decides the handshake (docs/aws-compatibility.md, "Connections and the handshake").</summary>
public sealed class ConnectRouteTests : IAsyncLifetime
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(7);
    private readonly TaskCompletionSource _releaseBackend = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync()
    {
        _releaseBackend.TrySetResult();
        await _backend.DisposeAsync();
    }

    /// <summary>A gateway whose $connect, $disconnect and $default go to the recording backend.</summary>
    private Task<TestGateway> StartAsync(Uri? connectUri = null, Action<ISwitchboardBuilder>? configureServices = null) =>
        TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "$connect",
                ["Switchboard:Routes:0:Integration:Type"] = "http",
                ["Switchboard:Routes:0:Integration:Uri"] = (connectUri ?? _backend.UriFor("connect")).ToString(),
                ["Switchboard:Routes:0:Integration:Timeout"] = ConnectTimeout.ToString(),
                ["Switchboard:Routes:1:RouteKey"] = "$disconnect",
                ["Switchboard:Routes:1:Integration:Type"] = "http",
                ["Switchboard:Routes:1:Integration:Uri"] = _backend.UriFor("disconnect").ToString(),
                ["Switchboard:Routes:2:RouteKey"] = "$default",
                ["Switchboard:Routes:2:Integration:Type"] = "http",
                ["Switchboard:Routes:2:Integration:Uri"] = _backend.UriFor("default").ToString(),
                ["Switchboard:Routes:2:TwoWay"] = "true",
            },
            configureServices);

    /// <summary>Attempts a handshake that must fail; returns the HTTP status the client saw.</summary>
    private static Task<HttpStatusCode> RefusedHandshakeAsync(TestGateway gateway, Action<ClientWebSocketOptions>? configure = null) =>
        gateway.RefusedHandshakeAsync(configure: configure);

    /// <summary>
    /// After a refused handshake: the id is not listed, and no $disconnect ran for it. A $disconnect for the refused
    /// id would have been invoked before the refusal was answered, so the next event must be the next connection's.
    /// </summary>
    private async Task AssertNothingLeftOfAsync(TestGateway gateway, string refusedId)
    {
        using var http = new HttpClient();
        Assert.DoesNotContain(refusedId, await gateway.ListIdsAsync(http));
        using var getConnection = await http.GetAsync(gateway.ConnectionUri(refusedId));
        Assert.Equal(HttpStatusCode.Gone, getConnection.StatusCode);

        _backend.RespondWithResult("connect", 200);
        await using (var next = await gateway.ConnectAsync())
        {
            var nextConnect = await _backend.NextEventAsync();
            Assert.Equal("$connect", nextConnect.RouteKey);
            Assert.NotEqual(refusedId, nextConnect.ConnectionId);
            await next.CloseAsync();
        }

        var disconnect = await _backend.NextEventAsync();
        Assert.Equal("$disconnect", disconnect.RouteKey);
        Assert.NotEqual(refusedId, disconnect.ConnectionId);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task Non2xxStatusCode_RefusesTheHandshakeWithThatStatus_AndLeavesNoConnection(int statusCode)
    {
        await using var gateway = await StartAsync();
        _backend.RespondWithResult("connect", statusCode, body: "not welcome");

        Assert.Equal((HttpStatusCode)statusCode, await RefusedHandshakeAsync(gateway));

        var refused = await _backend.NextEventAsync("$connect");
        await AssertNothingLeftOfAsync(gateway, refused.ConnectionId);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(204)]
    public async Task Any2xxStatusCode_AcceptsTheConnection(int statusCode)
    {
        await using var gateway = await StartAsync();
        _backend.RespondWithResult("connect", statusCode);
        _backend.RespondWithResult("default", 200, "hi back");

        await using var client = await gateway.ConnectAsync();

        Assert.Equal(HttpStatusCode.SwitchingProtocols, client.Socket.HttpStatusCode);
        await client.SendTextAsync("hi");
        Assert.Equal("hi back", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task BackendAnsweringHttp500_RefusesWith502()
    {
        await using var gateway = await StartAsync();
        _backend.Respond("connect", 500, "crashed");

        Assert.Equal(HttpStatusCode.BadGateway, await RefusedHandshakeAsync(gateway));

        await AssertNothingLeftOfAsync(gateway, (await _backend.NextEventAsync("$connect")).ConnectionId);
    }

    [Fact]
    public async Task BackendAnsweringMalformedResult_RefusesWith502()
    {
        await using var gateway = await StartAsync();
        _backend.Respond("connect", 200, "{\"statusCode\":");

        Assert.Equal(HttpStatusCode.BadGateway, await RefusedHandshakeAsync(gateway));
    }

    [Fact]
    public async Task BackendRefusingTcpConnections_RefusesWith502()
    {
        // A port that was free a moment ago: nothing listens there.
        await using var gateway = await StartAsync(connectUri: new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/connect"));

        Assert.Equal(HttpStatusCode.BadGateway, await RefusedHandshakeAsync(gateway));

        using var http = new HttpClient();
        Assert.Empty(await gateway.ListIdsAsync(http));
    }

    [Fact]
    public async Task BackendNotAnsweringWithinTheRouteTimeout_RefusesWith504()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartAsync(configureServices: services => services.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        var timersBefore = time.TimersCreated(ConnectTimeout);
        _backend.Respond("connect", async _ =>
        {
            await _releaseBackend.Task;
            return (200, "{\"statusCode\":200}");
        });

        var handshake = RefusedHandshakeAsync(gateway);
        var refused = await _backend.NextEventAsync("$connect");
        await time.WaitForTimerAsync(ConnectTimeout, timersBefore + 1);
        Assert.False(handshake.IsCompleted);
        time.Advance(ConnectTimeout);

        Assert.Equal(HttpStatusCode.GatewayTimeout, await handshake);
        _releaseBackend.TrySetResult();
        await AssertNothingLeftOfAsync(gateway, refused.ConnectionId);
    }

    [Fact]
    public async Task SecWebSocketProtocolFromTheResult_IsTheNegotiatedSubprotocol()
    {
        await using var gateway = await StartAsync();
        _backend.RespondWithResult("connect", 200, headers: new Dictionary<string, string> { ["Sec-WebSocket-Protocol"] = "chat.v2" });

        await using var client = await gateway.ConnectAsync(configure: options =>
        {
            options.AddSubProtocol("chat.v1");
            options.AddSubProtocol("chat.v2");
        });

        Assert.Equal("chat.v2", client.Socket.SubProtocol);
        var offered = (await _backend.NextEventAsync("$connect")).Event.GetProperty("headers").GetProperty("Sec-WebSocket-Protocol").GetString();
        Assert.Equal(["chat.v1", "chat.v2"], offered!.Split(',', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task SecWebSocketProtocolThatCannotBeAHeaderValue_RefusesTheHandshakeWith502()
    {
        // The value goes into the 101 as a header line: a line break in it must never reach the client.
        await using var gateway = await StartAsync();
        _backend.RespondWithResult("connect", 200, headers: new Dictionary<string, string> { ["Sec-WebSocket-Protocol"] = "chat\r\nX-Injected: yes" });

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Sec-WebSocket-Protocol", "chat")]);

        Assert.Equal(502, client.HandshakeStatusCode);
        Assert.False(client.HandshakeHeaders.ContainsKey("x-injected"));
        var refused = await _backend.NextEventAsync("$connect");
        await AssertNothingLeftOfAsync(gateway, refused.ConnectionId);
    }

    [Fact]
    public async Task WithoutSecWebSocketProtocolInTheResult_NoSubprotocolIsEchoed()
    {
        await using var gateway = await StartAsync();
        _backend.RespondWithResult("connect", 200);

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Sec-WebSocket-Protocol", "chat.v1")]);

        Assert.Equal(101, client.HandshakeStatusCode);
        Assert.False(client.HandshakeHeaders.ContainsKey("sec-websocket-protocol"));
    }

    [Fact]
    public async Task WithoutConnectRoute_TheConnectionIsAccepted()
    {
        await using var gateway = await TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "$default",
                ["Switchboard:Routes:0:Integration:Type"] = "http",
                ["Switchboard:Routes:0:Integration:Uri"] = _backend.UriFor("default").ToString(),
                ["Switchboard:Routes:0:TwoWay"] = "true",
            });
        _backend.RespondWithResult("default", 200, "accepted");

        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("hello");
        Assert.Equal("accepted", await client.ReceiveTextAsync());
        Assert.Equal("$default", (await _backend.NextEventAsync()).RouteKey);
    }

    [Fact]
    public async Task PostingToItsOwnIdDuringConnect_IsGone_ButWorksOnceConnected()
    {
        var duringConnect = new TaskCompletionSource<(PostResult Post, ConnectionDetails? Get)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var gateway = await TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "$connect",
                ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
                ["Switchboard:Routes:0:Integration:Handler"] = "post-to-self",
            },
            services => services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("post-to-self", (provider, _) =>
                new PostToSelfHandler(provider.GetRequiredService<ConnectionManager>(), duringConnect)));

        await using var client = await gateway.ConnectAsync();

        var (post, get) = await duringConnect.Task.WaitAsync(TestClient.DefaultTimeout);
        Assert.Equal(PostResult.Gone, post);
        Assert.Null(get);

        // Once the handshake is done the same id is postable.
        using var http = new HttpClient();
        var connectionId = Assert.Single(await gateway.ListIdsAsync(http));
        var manager = gateway.Services.GetRequiredService<ConnectionManager>();
        Assert.Equal(PostResult.Delivered, await manager.PostAsync(connectionId, "welcome"u8.ToArray()));
        Assert.Equal("welcome", await client.ReceiveTextAsync());
    }

    private sealed class PostToSelfHandler(ConnectionManager manager, TaskCompletionSource<(PostResult, ConnectionDetails?)> observed) : IWebSocketRouteHandler
    {
        public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
        {
            var post = await manager.PostAsync(routeEvent.ConnectionId, Encoding.UTF8.GetBytes("too early"), cancellationToken);
            var get = await manager.GetAsync(routeEvent.ConnectionId, cancellationToken);
            observed.TrySetResult((post, get));
            return RouteResponse.Ok;
        }
    }
}
