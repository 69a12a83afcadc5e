using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:RateLimits</c> on a real gateway (docs/security.md#rate-limits). The clock is fake and never advanced
/// unless a test says so, so every bucket holds exactly what it was given: the counts are exact, not timing-dependent.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Neighbour = IPAddress.Parse("127.0.0.3");

    private readonly ObservableFakeTimeProvider _time = new();

    /// <summary>Every route answers with "route:" + its key (two-way), through one in-process handler.</summary>
    private readonly RecordingRouteHandler _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(RouteResponse.WithBody("route:" + e.RouteKey)),
    };

    private Task<TestGateway> StartAsync(Dictionary<string, string?> limits, bool directUpgrade = true, bool connectRoute = false)
    {
        var settings = new Dictionary<string, string?>(limits)
        {
            ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false",
        };
        string[] routeKeys = connectRoute ? ["$connect", "$default", "echo"] : ["$default", "echo"];
        RecorderRoutes.AddTo(settings, routeKeys);

        return TestGateway.StartAsync(settings, switchboard =>
        {
            switchboard.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler);
            switchboard.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time));
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HandshakesOverTheAddressLimit_Get429_AnotherAddressConnects(bool directUpgrade)
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:ConnectionsPerAddress:PerSecond"] = "3" }, directUpgrade);
        using var refusals = new RefusalCounter(gateway);

        var flooder = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            flooder.Add(await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Flooder));
        }

        Assert.Equal([101, 101, 101, 429, 429], flooder);
        Assert.Equal(2, refusals["RateLimits:ConnectionsPerAddress"]);
        Assert.Equal(101, await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Neighbour));

        // A second later the bucket holds another second's tokens.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(101, await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Flooder));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HandshakesOverTheNodeLimit_Get429_FromAnyAddress(bool directUpgrade)
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:Connections:PerSecond"] = "2" }, directUpgrade);

        int[] statuses =
        [
            await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Flooder),
            await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Neighbour),
            await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Neighbour),
        ];

        Assert.Equal([101, 101, 429], statuses);
    }

    /// <summary>
    /// The attack: one address opens handshakes as fast as it can, from many sockets at once; it gets its
    /// bucket's worth and 429 for the rest, while another address connects normally at the same time.
    /// </summary>
    [Fact]
    public async Task OneAddressFloodingHandshakes_IsThrottled_WhileAnotherConnectsNormally()
    {
        const int PerSecond = 20;
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:ConnectionsPerAddress:PerSecond"] = PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture) }, connectRoute: true);
        var statuses = new ConcurrentBag<int>();

        var flood = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                statuses.Add(await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Flooder));
            }
        })).ToArray();
        var neighbour = new List<int>();
        for (var i = 0; i < PerSecond; i++)
        {
            neighbour.Add(await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Neighbour));
        }

        await Task.WhenAll(flood);

        Assert.Equal(3200, statuses.Count);
        Assert.Equal(PerSecond, statuses.Count(status => status == 101));
        Assert.Equal(3200 - PerSecond, statuses.Count(status => status == 429));
        Assert.All(neighbour, status => Assert.Equal(101, status));
        // $connect ran only for the accepted handshakes: the refused ones cost no integration call.
        var connects = 0;
        while (connects < 2 * PerSecond)
        {
            await _handler.NextEventAsync("$connect");
            connects++;
        }

        Assert.False(_handler.TryTakeEvent("$connect"));
    }

    [Fact]
    public async Task MessagesOverTheConnectionLimit_AreDropped_WithATooManyRequestsFrame_AndTheConnectionStaysOpen()
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:MessagesPerConnection:PerSecond"] = "2" });
        using var refusals = new RefusalCounter(gateway);
        await using var client = await gateway.ConnectAsync();

        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await client.SendTextAsync("""{"action":"echo"}""");
            replies.Add(await client.ReceiveTextAsync());
        }

        Assert.Equal(["route:echo", "route:echo"], replies.Take(2));
        AssertTooManyRequestsFrame(replies[2]);
        Assert.Equal(1, refusals["RateLimits:MessagesPerConnection"]);
        await _handler.NextEventAsync("echo");
        await _handler.NextEventAsync("echo");
        Assert.False(_handler.TryTakeEvent("echo"));

        _time.Advance(TimeSpan.FromSeconds(1));
        await client.SendTextAsync("""{"action":"echo"}""");
        Assert.Equal("route:echo", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task IntegrationCallsOverTheRouteLimit_AnswerTooManyRequests_PerRoute()
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:IntegrationCallsPerRoute:PerSecond"] = "1" });
        await using var first = await gateway.ConnectAsync();
        await using var second = await gateway.ConnectAsync();

        await first.SendTextAsync("""{"action":"echo"}""");
        Assert.Equal("route:echo", await first.ReceiveTextAsync());
        await second.SendTextAsync("""{"action":"echo"}""");
        AssertTooManyRequestsFrame(await second.ReceiveTextAsync());
        // Another route has its own bucket.
        await second.SendTextAsync("""{"action":"other"}""");
        Assert.Equal("route:$default", await second.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConnectRouteOverItsLimit_Answers429_BeforeTheRegistry(bool directUpgrade)
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:IntegrationCallsPerRoute:PerSecond"] = "1" }, directUpgrade, connectRoute: true);
        Assert.Equal(101, await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Flooder));
        Assert.Equal(429, await HandshakeFrom.StatusAsync(gateway.WebSocketUri, Neighbour));

        await _handler.NextEventAsync("$connect");
        Assert.False(_handler.TryTakeEvent("$connect"));
    }

    [Fact]
    public async Task ManagementCallsOverTheLimit_Answer429LimitExceeded_InAwsShape()
    {
        await using var gateway = await StartAsync(new() { ["Switchboard:RateLimits:ManagementRequests:PerSecond"] = "2" });
        using var http = new HttpClient();
        var list = new Uri($"{gateway.ManagementEndpoint}/@connections");

        using var first = await http.GetAsync(list);
        using var second = await http.GetAsync(list);
        using var third = await http.GetAsync(list);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("LimitExceededException", third.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.True(third.Headers.Contains("x-amzn-RequestId"));
        var body = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Too Many Requests", body.GetProperty("message").GetString());

        _time.Advance(TimeSpan.FromSeconds(1));
        using var later = await http.GetAsync(list);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    private static void AssertTooManyRequestsFrame(string frame)
    {
        using var json = JsonDocument.Parse(frame);
        Assert.Equal("Too Many Requests", json.RootElement.GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("connectionId").GetString()));
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("requestId").GetString()));
    }
}
