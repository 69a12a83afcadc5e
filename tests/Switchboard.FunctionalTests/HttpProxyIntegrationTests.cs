using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The <c>http_proxy</c> kind (API Gateway's HTTP_PROXY) against a real backend on Kestrel that records what it receives:
/// the message itself, only mapped parameters, the answer passed through (docs/configuration.md, "Which integration kind?").
/// </summary>
public sealed class HttpProxyIntegrationTests : IAsyncLifetime
{
    /// <summary>Headers the HTTP client adds to any request itself; everything else the backend sees must be configured.</summary>
    private static readonly string[] TransportHeaders = ["Host", "Content-Length", "Content-Type", "traceparent", "tracestate", "baggage"];

    private ProxyBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await ProxyBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private static IEnumerable<string> ConfiguredHeaders(ProxiedRequest request) =>
        request.Headers.Keys.Where(name => !TransportHeaders.Contains(name, StringComparer.OrdinalIgnoreCase)).Select(name => name.ToLowerInvariant()).Order(StringComparer.Ordinal);

    /// <summary>Settings for one http_proxy route at index <paramref name="index"/> calling <paramref name="path"/>.</summary>
    private Dictionary<string, string?> Route(int index, string routeKey, string path, Dictionary<string, string>? parameters = null, bool twoWay = false)
    {
        var prefix = $"Switchboard:Routes:{index}";
        var settings = new Dictionary<string, string?>
        {
            [$"{prefix}:RouteKey"] = routeKey,
            [$"{prefix}:TwoWay"] = twoWay ? "true" : "false",
            [$"{prefix}:Integration:Type"] = "http_proxy",
            [$"{prefix}:Integration:Uri"] = _backend.UriFor(path).ToString(),
        };
        foreach (var (target, source) in parameters ?? [])
        {
            settings[$"{prefix}:Integration:RequestParameters:{target}"] = source;
        }

        return settings;
    }

    /// <summary>The settings of every part; a later part's value for a key replaces an earlier one's.</summary>
    private static Dictionary<string, string?> Merge(params Dictionary<string, string?>[] parts)
    {
        var merged = new Dictionary<string, string?>();
        foreach (var (key, value) in parts.SelectMany(part => part))
        {
            merged[key] = value;
        }

        return merged;
    }

    [Fact]
    public async Task Connect_SendsNoBody_OnlyMappedValues_AndNoneOfTheClientsOwnHeaders()
    {
        var settings = Merge(
            Route(0, "$connect", "connect", new()
            {
                ["integration.request.header.connectionId"] = "context.connectionId",
                ["integration.request.header.x-event"] = "context.eventType",
                ["integration.request.header.x-route"] = "context.routeKey",
                ["integration.request.header.x-source-ip"] = "context.identity.sourceIp",
                ["integration.request.header.x-tenant"] = "route.request.header.X-Tenant",
                ["integration.request.header.x-fixed"] = "'fixed value'",
                ["integration.request.querystring.token"] = "route.request.querystring.token",
                ["integration.request.querystring.tenant"] = "stageVariables.tenant",
                ["integration.request.querystring.absent"] = "route.request.header.X-Not-Sent",
            }),
            new()
            {
                ["Switchboard:StageVariables:tenant"] = "blue",
                ["Switchboard:StageVariables:hooks"] = "hooks/v2",
                ["Switchboard:Routes:0:Integration:Uri"] = $"{_backend.BaseUri}${{stageVariables.hooks}}/connect?fixed=1",
                ["Switchboard:Routes:0:Integration:Headers:x-secret"] = "s3cret",
            });
        await using var gateway = await TestGateway.StartAsync(settings);
        using var http = new HttpClient();

        await using var client = await gateway.ConnectAsync("?token=abc&other=1", options =>
        {
            options.SetRequestHeader("X-Tenant", "acme");
            options.SetRequestHeader("Authorization", "Bearer client-token");
            options.SetRequestHeader("Cookie", "session=1");
            options.SetRequestHeader("X-Unmapped", "nope");
        });

        var request = await _backend.NextRequestAsync();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/v2/connect", request.Path);
        Assert.Equal(new Dictionary<string, string> { ["fixed"] = "1", ["token"] = "abc", ["tenant"] = "blue" }, request.Query);
        Assert.Equal("", request.Body);
        Assert.Equal(Assert.Single(await gateway.ListIdsAsync(http)), request.Headers["connectionId"]);
        Assert.Equal("CONNECT", request.Headers["x-event"]);
        Assert.Equal("$connect", request.Headers["x-route"]);
        Assert.Equal("127.0.0.1", request.Headers["x-source-ip"]);
        Assert.Equal("acme", request.Headers["x-tenant"]);
        Assert.Equal("fixed value", request.Headers["x-fixed"]);
        Assert.Equal("s3cret", request.Headers["x-secret"]);
        Assert.Equal(["connectionid", "x-event", "x-fixed", "x-route", "x-secret", "x-source-ip", "x-tenant"], ConfiguredHeaders(request));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(503)]
    public async Task Connect_BackendsNon2xxStatus_RefusesTheHandshakeWithIt(int status)
    {
        await using var gateway = await TestGateway.StartAsync(Route(0, "$connect", "connect"));
        _backend.Answer(status, "not you");

        Assert.Equal((HttpStatusCode)status, await gateway.RefusedHandshakeAsync());
        using var http = new HttpClient();
        Assert.Empty(await gateway.ListIdsAsync(http));
    }

    [Fact]
    public async Task Connect_SecWebSocketProtocolAnswer_SelectsTheSubprotocol()
    {
        await using var gateway = await TestGateway.StartAsync(Route(0, "$connect", "connect", new()
        {
            ["integration.request.header.x-offered"] = "route.request.header.Sec-WebSocket-Protocol",
        }));
        _backend.Answer((request, context) =>
        {
            // The backend picks the last subprotocol the client offered.
            context.Response.Headers["Sec-WebSocket-Protocol"] = request.Headers["x-offered"].Split(',')[^1].Trim();
            return Task.CompletedTask;
        });

        await using var client = await gateway.ConnectAsync(configure: options =>
        {
            options.AddSubProtocol("chat.v1");
            options.AddSubProtocol("chat.v2");
        });

        Assert.Equal("chat.v2", client.Socket.SubProtocol);
        Assert.Equal("chat.v1, chat.v2", (await _backend.NextRequestAsync()).Headers["x-offered"]);
    }

    [Fact]
    public async Task Connect_UnreachableBackend_Refuses502()
    {
        var settings = Route(0, "$connect", "connect");
        settings["Switchboard:Routes:0:Integration:Uri"] = $"http://127.0.0.1:{ServerProcess.FreePort()}/connect";
        await using var gateway = await TestGateway.StartAsync(settings);

        Assert.Equal(HttpStatusCode.BadGateway, await gateway.RefusedHandshakeAsync());
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("cannot reach backend http://127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoWayMessage_SendsTheMessageText_WithTheConfiguredMethod_AndTheBackendsBodyIsTheReply()
    {
        var settings = Route(0, "send", "messages", new()
        {
            ["integration.request.header.connectionId"] = "context.connectionId",
            ["integration.request.header.x-request-id"] = "context.requestId",
            ["integration.request.header.x-user"] = "route.request.body.user.id",
            ["integration.request.querystring.room"] = "route.request.body.rooms[1]",
            ["integration.request.querystring.missing"] = "route.request.body.nothing",
        }, twoWay: true);
        settings["Switchboard:Routes:0:Integration:HttpMethod"] = "put";
        await using var gateway = await TestGateway.StartAsync(settings);
        _backend.Answer(200, "reply ✓ \"quoted\"");
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;
        const string message = """{"action":"send","user":{"id":"u-7"},"rooms":["lobby","général"],"text":"héllo"}""";

        await client.SendTextAsync(message);

        Assert.Equal("reply ✓ \"quoted\"", await client.ReceiveTextAsync());
        var request = await _backend.NextRequestAsync();
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/messages", request.Path);
        Assert.Equal(message, request.Body);
        Assert.Equal("text/plain; charset=utf-8", request.Headers["Content-Type"]);
        Assert.Equal(connectionId, request.Headers["connectionId"]);
        Assert.Matches("^[A-Za-z0-9_-]{15}=$", request.Headers["x-request-id"]);
        Assert.Equal("u-7", request.Headers["x-user"]);
        Assert.Equal(new Dictionary<string, string> { ["room"] = "général" }, request.Query);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task AnyMethod_CarriesTheMessageAsItsBody(string method)
    {
        var settings = Route(0, "$default", "messages");
        settings["Switchboard:Routes:0:Integration:HttpMethod"] = method;
        await using var gateway = await TestGateway.StartAsync(settings);
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("payload");

        var request = await _backend.NextRequestAsync();
        Assert.Equal(method, request.Method);
        Assert.Equal("payload", request.Body);
    }

    [Fact]
    public async Task MappedContentType_ReplacesTheDefault()
    {
        await using var gateway = await TestGateway.StartAsync(Route(0, "$default", "messages", new()
        {
            ["integration.request.header.Content-Type"] = "'application/json'",
        }));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("{}");

        Assert.Equal("application/json", (await _backend.NextRequestAsync()).Headers["Content-Type"]);
    }

    /// <summary>API Gateway passes a proxy integration's output through "as the complete payload": the status is not the client's business.</summary>
    [Fact]
    public async Task TwoWayMessage_Backend5xx_ItsBodyIsStillTheReply()
    {
        await using var gateway = await TestGateway.StartAsync(Route(0, "$default", "messages", twoWay: true));
        _backend.Answer(503, "busy, try later");
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("hello");

        Assert.Equal("busy, try later", await client.ReceiveTextAsync());
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("Backend of route $default answered HTTP 503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OneWayMessage_SendsTheBackendsBodyNowhere()
    {
        await using var gateway = await TestGateway.StartAsync(Merge(
            Route(0, "$default", "messages"),
            Route(1, "ping", "ping", twoWay: true)));
        _backend.Answer(async (request, context) => await context.Response.WriteAsync(request.Path == "/ping" ? "pong" : "not for the client"));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("one-way");
        Assert.Equal("one-way", (await _backend.NextRequestAsync()).Body);
        await client.SendTextAsync("{\"action\":\"ping\"}");

        // Messages of one client are answered in order of their replies; the one-way one had none.
        Assert.Equal("pong", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Disconnect_SendsNoBody_WithTheMappedConnectionId()
    {
        var settings = Route(0, "$disconnect", "disconnect", new()
        {
            ["integration.request.header.connectionId"] = "context.connectionId",
            ["integration.request.querystring.event"] = "context.eventType",
        });
        settings["Switchboard:Routes:0:Integration:HttpMethod"] = "DELETE";
        await using var gateway = await TestGateway.StartAsync(settings);
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);

        await client.CloseAsync();
        await client.DisposeAsync();

        var request = await _backend.NextRequestAsync();
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("", request.Body);
        Assert.Equal(connectionId, request.Headers["connectionId"]);
        Assert.Equal("DISCONNECT", request.Query["event"]);
    }

    [Fact]
    public async Task AuthorizerValues_AreMapped_OnEveryRoute()
    {
        const string policy = """
            {"principalId":"user-42","context":{"tenant":"acme","level":3},
             "policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}
            """;
        var settings = Merge(
            new()
            {
                ["Switchboard:Routes:0:RouteKey"] = "$connect",
                ["Switchboard:Routes:0:Integration:Type"] = "mock",
                ["Switchboard:Routes:0:Authorizer:Type"] = "request",
                ["Switchboard:Routes:0:Authorizer:IdentitySource:0"] = "route.request.header.Authorization",
                ["Switchboard:Routes:0:Authorizer:Integration:Type"] = "mock",
                ["Switchboard:Routes:0:Authorizer:Integration:Body"] = policy,
            },
            Route(1, "$default", "messages", new()
            {
                ["integration.request.header.x-user"] = "context.authorizer.principalId",
                ["integration.request.header.x-tenant"] = "context.authorizer.tenant",
                ["integration.request.header.x-level"] = "context.authorizer.level",
            }));
        await using var gateway = await TestGateway.StartAsync(settings);
        await using var client = await gateway.ConnectAsync(configure: options => options.SetRequestHeader("Authorization", "anything"));

        await client.SendTextAsync("hello");

        var request = await _backend.NextRequestAsync();
        Assert.Equal("user-42", request.Headers["x-user"]);
        Assert.Equal("acme", request.Headers["x-tenant"]);
        Assert.Equal("3", request.Headers["x-level"]);
        Assert.False(request.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task ChunkedAnswerLargerThanTheLimit_IsCutOff_AndIsAFailure()
    {
        await using var gateway = await TestGateway.StartAsync(Route(0, "$default", "messages", twoWay: true));
        var chunk = Encoding.UTF8.GetBytes(new string('x', 1024 * 1024));
        _backend.Answer(async (_, context) =>
        {
            try
            {
                // No Content-Length: chunked, 50 MB if the gateway kept reading.
                for (var i = 0; i < 50; i++)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException)
            {
                // The gateway stopped reading and closed the connection: what is being tested.
            }
        });
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("hello");

        Assert.StartsWith("{\"message\": \"Internal server error\"", await client.ReceiveTextAsync());
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("answered more than 10485760 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mock_OnConnect_RefusesEveryHandshakeWithItsStatus()
    {
        await using var gateway = await TestGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "mock",
            ["Switchboard:Routes:0:Integration:StatusCode"] = "403",
        });

        Assert.Equal(HttpStatusCode.Forbidden, await gateway.RefusedHandshakeAsync());
    }

    [Fact]
    public async Task Mock_OnATwoWayRoute_RepliesWithItsBody_AndAcceptsHandshakesByDefault()
    {
        await using var gateway = await TestGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "mock",
            ["Switchboard:Routes:1:RouteKey"] = "$default",
            ["Switchboard:Routes:1:Integration:Type"] = "MOCK",
            ["Switchboard:Routes:1:Integration:Body"] = "{\"status\":\"maintenance\"}",
            ["Switchboard:Routes:1:TwoWay"] = "true",
        });
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("anything");
        Assert.Equal("{\"status\":\"maintenance\"}", await client.ReceiveTextAsync());
        await client.SendTextAsync("again");
        Assert.Equal("{\"status\":\"maintenance\"}", await client.ReceiveTextAsync());
    }
}
