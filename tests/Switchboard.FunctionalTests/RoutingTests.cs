using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>Route selection (docs/aws-compatibility.md, "Routes and messages"): which route a message reaches, and what the client gets back.</summary>
public sealed partial class RoutingTests
{
    /// <summary>Every route runs this handler; two-way routes answer with "route:" + the route key.</summary>
    private readonly RecordingRouteHandler _handler = new()
    {
        Responder = (e, _) => ValueTask.FromResult(RouteResponse.WithBody("route:" + e.RouteKey)),
    };

    private Task<TestGateway> StartAsync(string[] routeKeys, string? expression = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []);
        if (expression is not null)
        {
            settings["Switchboard:RouteSelectionExpression"] = expression;
        }

        for (var i = 0; i < routeKeys.Length; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routeKeys[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "inprocess";
            settings[$"Switchboard:Routes:{i}:Integration:Handler"] = "recorder";
            settings.TryAdd($"Switchboard:Routes:{i}:TwoWay", "true");
        }

        return TestGateway.StartAsync(settings, services => services.Services.AddKeyedSingleton<IWebSocketRouteHandler>("recorder", _handler));
    }

    [Theory]
    [InlineData("{\"action\":\"join\"}", "route:join")]
    [InlineData("{\"action\":\"leave\",\"room\":\"42\"}", "route:leave")]
    [InlineData("{\"room\":{\"action\":\"join\"},\"action\":\"leave\"}", "route:leave")]
    [InlineData("{\"action\":\"JOIN\"}", "route:$default")]
    [InlineData("{\"action\":\"join \"}", "route:$default")]
    [InlineData("{\"action\":\"nosuchroute\"}", "route:$default")]
    [InlineData("{\"type\":\"join\"}", "route:$default")]
    [InlineData("{\"action\":null}", "route:$default")]
    [InlineData("{\"action\":5}", "route:5")]
    [InlineData("{\"action\":true}", "route:true")]
    [InlineData("join", "route:$default")]
    [InlineData("{\"action\":\"join\"", "route:$default")]
    [InlineData("[\"join\"]", "route:$default")]
    [InlineData("", "route:$default")]
    public async Task ActionSelectsTheRoute_CaseSensitively_ElseDefault(string message, string expected)
    {
        await using var gateway = await StartAsync(["$default", "join", "leave", "5", "true"]);
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync(message);

        Assert.Equal(expected, await client.ReceiveTextAsync());
        Assert.Equal(message, (await _handler.NextEventAsync()).Body);
    }

    [Theory]
    [InlineData("{\"a\":{\"b\":\"deep\"}}", "route:deep")]
    [InlineData("{\"b\":\"deep\",\"a\":{\"c\":\"deep\"}}", "route:$default")]
    [InlineData("{\"a\":\"deep\"}", "route:$default")]
    [InlineData("{\"a\":{\"b\":{\"c\":\"deep\"}}}", "route:$default")]
    public async Task NestedPath_SelectsTheRouteByTheNestedValue(string message, string expected)
    {
        await using var gateway = await StartAsync(["$default", "deep"], expression: "$request.body.a.b");
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync(message);

        Assert.Equal(expected, await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task CombinedExpression_JoinsVariablesAndLiterals()
    {
        await using var gateway = await StartAsync(["$default", "chat/join"], expression: "${request.body.service}/${request.body.action}");
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("{\"action\":\"join\",\"service\":\"chat\"}");
        Assert.Equal("route:chat/join", await client.ReceiveTextAsync());

        await client.SendTextAsync("{\"action\":\"join\",\"service\":\"mail\"}");
        Assert.Equal("route:$default", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task NoMatchAndNoDefault_SendsApiGatewaysForbiddenFrame_AndKeepsTheConnectionOpen()
    {
        await using var gateway = await StartAsync(["join"]);
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;

        await client.SendTextAsync("{\"action\":\"leave\"}");

        var frame = await client.ReceiveTextAsync();
        var match = ForbiddenFrame().Match(frame);
        Assert.True(match.Success, $"Unexpected frame: {frame}");
        Assert.Equal(connectionId, match.Groups["connectionId"].Value);
        Assert.NotEqual(connectionId, match.Groups["requestId"].Value);

        // The message reached no route, and the connection still works.
        await client.SendTextAsync("not json at all");
        Assert.Matches(ForbiddenFrame(), await client.ReceiveTextAsync());
        await client.SendTextAsync("{\"action\":\"join\"}");
        Assert.Equal("route:join", await client.ReceiveTextAsync());
        Assert.Equal("{\"action\":\"join\"}", (await _handler.NextEventAsync()).Body);
    }

    [Fact]
    public async Task OneWayRoute_DiscardsTheHandlersBody()
    {
        await using var gateway = await StartAsync(
            ["oneway", "twoway"],
            extra: new() { ["Switchboard:Routes:0:TwoWay"] = "false" });
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("{\"action\":\"oneway\"}");
        Assert.Equal("oneway", (await _handler.NextEventAsync()).RouteKey);
        await client.SendTextAsync("{\"action\":\"twoway\"}");

        // The one-way handler answered "route:oneway" first, but only the two-way answer reaches the client.
        Assert.Equal("route:twoway", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task TwoWayRoute_WithEmptyOrNullBody_SendsNothing()
    {
        await using var gateway = await StartAsync(["empty", "null", "probe"]);
        _handler.Responder = (e, _) => ValueTask.FromResult(e.RouteKey switch
        {
            "empty" => RouteResponse.WithBody(""),
            "null" => RouteResponse.Ok,
            _ => RouteResponse.WithBody("route:" + e.RouteKey),
        });
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("{\"action\":\"empty\"}");
        Assert.Equal("empty", (await _handler.NextEventAsync()).RouteKey);
        await client.SendTextAsync("{\"action\":\"null\"}");
        Assert.Equal("null", (await _handler.NextEventAsync()).RouteKey);
        await client.SendTextAsync("{\"action\":\"probe\"}");

        Assert.Equal("route:probe", await client.ReceiveTextAsync());
    }

    [GeneratedRegex("""^\{"message": "Forbidden", "connectionId":"(?<connectionId>[A-Za-z0-9_-]{15}=)", "requestId":"(?<requestId>[A-Za-z0-9_-]{15}=)"\}$""")]
    private static partial Regex ForbiddenFrame();
}
