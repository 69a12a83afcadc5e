using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The Lambda-proxy events an HTTP backend receives, field by field, as API Gateway shapes them
/// (docs/aws-compatibility.md, "Events sent to integrations").
/// </summary>
public sealed partial class EventShapeTests : IAsyncLifetime
{
    private const string ApiId = "k3x9qz7v1a";
    private const string Stage = "dev";
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Task<TestGateway> StartAsync(string? domainName = null, bool directUpgrade = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false",
            ["Switchboard:Stage"] = Stage,
            ["Switchboard:ApiId"] = ApiId,
            ["Switchboard:DomainName"] = domainName,
        };
        string[] routes = ["$connect", "$disconnect", "$default", "sendmessage"];
        for (var i = 0; i < routes.Length; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routes[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "http";
            settings[$"Switchboard:Routes:{i}:Integration:Uri"] = _backend.UriFor(routes[i].TrimStart('$')).ToString();
        }

        return TestGateway.StartAsync(settings);
    }

    private static Action<ClientWebSocketOptions> WithHeaders => options =>
    {
        options.SetRequestHeader("User-Agent", "EventShapeTests/1.0");
        options.SetRequestHeader("X-Custom-Header", "custom value");
    };

    [Fact]
    public async Task ConnectEvent_HasClientHeadersPlusForwardingHeaders_ButNotConnectionOrUpgrade()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync(configure: WithHeaders);

        var connect = (await _backend.NextEventAsync("$connect")).Event;

        var headers = StringMap(connect.GetProperty("headers"));
        Assert.Equal(gateway.BaseUri.Authority, headers["Host"]);
        Assert.Equal("EventShapeTests/1.0", headers["User-Agent"]);
        Assert.Equal("custom value", headers["X-Custom-Header"]);
        Assert.Equal("13", headers["Sec-WebSocket-Version"]);
        Assert.Equal(24, headers["Sec-WebSocket-Key"].Length);
        Assert.Equal("127.0.0.1", headers["X-Forwarded-For"]);
        Assert.Equal(gateway.BaseUri.Port.ToString(CultureInfo.InvariantCulture), headers["X-Forwarded-Port"]);
        Assert.Equal("http", headers["X-Forwarded-Proto"]);
        Assert.Matches(TraceId(), headers["X-Amzn-Trace-Id"]);
        Assert.DoesNotContain(headers.Keys, key => key.Equals("Connection", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers.Keys, key => key.Equals("Upgrade", StringComparison.OrdinalIgnoreCase));

        // multiValueHeaders mirrors headers with one-element arrays.
        var multi = connect.GetProperty("multiValueHeaders").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
        Assert.Equal(headers.Keys.Order(), multi.Keys.Order());
        Assert.All(headers, header => Assert.Equal([header.Value], multi[header.Key]));

        Assert.False(connect.TryGetProperty("body", out _));
        Assert.False(connect.GetProperty("isBase64Encoded").GetBoolean());
    }

    [Fact]
    public async Task ConnectEvent_RepeatedHeader_KeepsLastValueInHeaders_AndAllValuesInMultiValueHeaders()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("X-Repeated", "first"), new("X-Repeated", "second")]);
        Assert.Equal(101, client.HandshakeStatusCode);

        var connect = (await _backend.NextEventAsync("$connect")).Event;

        Assert.Equal("second", connect.GetProperty("headers").GetProperty("X-Repeated").GetString());
        Assert.Equal(["first", "second"], connect.GetProperty("multiValueHeaders").GetProperty("X-Repeated").EnumerateArray().Select(v => v.GetString()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConnectEvent_ClientForwardingAndTraceHeaders_AppearOnce_WithTheGatewaysValues(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade: directUpgrade);
        await using var client = await RawWebSocketClient.ConnectAsync(
            gateway.WebSocketUri,
            [new("x-forwarded-for", "203.0.113.9"), new("X-Forwarded-Proto", "https"), new("X-Forwarded-Port", "443"), new("X-Amzn-Trace-Id", "Root=chosen-by-client")]);
        Assert.Equal(101, client.HandshakeStatusCode);

        var recorded = await _backend.NextEventAsync("$connect");

        // Strict parsers (JsonNode, most other languages' maps) reject or overwrite duplicate keys; JsonElement keeps them silently.
        using var strict = JsonDocument.Parse(recorded.Json, new JsonDocumentOptions { AllowDuplicateProperties = false });
        var headers = StringMap(strict.RootElement.GetProperty("headers"));
        var forwarded = headers.Keys.Where(key => key.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase) || key.Equals("X-Amzn-Trace-Id", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"], forwarded.Order(StringComparer.Ordinal));
        Assert.Equal("203.0.113.9, 127.0.0.1", headers["X-Forwarded-For"]);
        Assert.Equal(gateway.BaseUri.Port.ToString(CultureInfo.InvariantCulture), headers["X-Forwarded-Port"]);
        Assert.Equal("http", headers["X-Forwarded-Proto"]);
        Assert.Matches(TraceId(), headers["X-Amzn-Trace-Id"]);
        Assert.Equal(["203.0.113.9, 127.0.0.1"], strict.RootElement.GetProperty("multiValueHeaders").GetProperty("X-Forwarded-For").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("127.0.0.1", recorded.RequestContext.GetProperty("identity").GetProperty("sourceIp").GetString());
    }

    [Fact]
    public async Task ConnectEvent_WithQueryString_HasSingleAndMultiValueQueryParameters()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync("?room=42&tag=a&tag=b&name=J%C3%BCrgen");

        var connect = (await _backend.NextEventAsync("$connect")).Event;

        var single = StringMap(connect.GetProperty("queryStringParameters"));
        Assert.Equal(new Dictionary<string, string> { ["room"] = "42", ["tag"] = "b", ["name"] = "Jürgen" }, single);
        var multi = connect.GetProperty("multiValueQueryStringParameters");
        Assert.Equal(["42"], multi.GetProperty("room").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["a", "b"], multi.GetProperty("tag").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["Jürgen"], multi.GetProperty("name").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task ConnectEvent_WithoutQueryString_HasNoQueryParameterKeys()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        var connect = (await _backend.NextEventAsync("$connect")).Event;

        Assert.False(connect.TryGetProperty("queryStringParameters", out _));
        Assert.False(connect.TryGetProperty("multiValueQueryStringParameters", out _));
    }

    [Fact]
    public async Task ConnectEvent_RequestContext_HasApiGatewaysFields()
    {
        await using var gateway = await StartAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var client = await gateway.ConnectAsync(configure: WithHeaders);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var context = (await _backend.NextEventAsync("$connect")).RequestContext;

        Assert.Equal("$connect", context.GetProperty("routeKey").GetString());
        Assert.Equal("CONNECT", context.GetProperty("eventType").GetString());
        Assert.Matches(IdShape(), context.GetProperty("connectionId").GetString());
        Assert.Equal(JsonValueKind.Number, context.GetProperty("connectedAt").ValueKind);
        var connectedAt = context.GetProperty("connectedAt").GetInt64();
        Assert.InRange(connectedAt, before, after);
        var requestTimeEpoch = context.GetProperty("requestTimeEpoch").GetInt64();
        Assert.InRange(requestTimeEpoch, connectedAt, connectedAt + 1);
        AssertRequestTime(context, requestTimeEpoch);
        Assert.Matches(IdShape(), context.GetProperty("requestId").GetString());
        Assert.Equal(context.GetProperty("requestId").GetString(), context.GetProperty("extendedRequestId").GetString());
        Assert.NotEqual(context.GetProperty("connectionId").GetString(), context.GetProperty("requestId").GetString());
        Assert.Equal("IN", context.GetProperty("messageDirection").GetString());
        Assert.Equal(Stage, context.GetProperty("stage").GetString());
        Assert.Equal(gateway.BaseUri.Authority, context.GetProperty("domainName").GetString());
        Assert.Equal(ApiId, context.GetProperty("apiId").GetString());
        Assert.Equal("127.0.0.1", context.GetProperty("identity").GetProperty("sourceIp").GetString());
        Assert.Equal("EventShapeTests/1.0", context.GetProperty("identity").GetProperty("userAgent").GetString());
        Assert.False(context.TryGetProperty("messageId", out _));
        Assert.False(context.TryGetProperty("disconnectStatusCode", out _));
    }

    [Fact]
    public async Task Events_WithoutUserAgent_HaveNoIdentityUserAgent()
    {
        await using var gateway = await StartAsync();
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        var identity = (await _backend.NextEventAsync("$connect")).RequestContext.GetProperty("identity");

        Assert.Equal("127.0.0.1", identity.GetProperty("sourceIp").GetString());
        Assert.False(identity.TryGetProperty("userAgent", out _));
    }

    [Fact]
    public async Task DomainName_IsTheConfiguredDomainName_InEveryEvent()
    {
        await using var gateway = await StartAsync(domainName: "ws.example.com");
        await using var client = await gateway.ConnectAsync();
        await client.SendTextAsync("hello");
        await client.CloseAsync();

        Assert.Equal("ws.example.com", (await _backend.NextEventAsync("$connect")).RequestContext.GetProperty("domainName").GetString());
        Assert.Equal("ws.example.com", (await _backend.NextEventAsync("$default")).RequestContext.GetProperty("domainName").GetString());
        var disconnect = await _backend.NextEventAsync("$disconnect");
        Assert.Equal("ws.example.com", disconnect.RequestContext.GetProperty("domainName").GetString());
        Assert.Equal("ws.example.com", disconnect.Event.GetProperty("headers").GetProperty("Host").GetString());
    }

    [Fact]
    public async Task MessageEvent_HasTheExactFrameText_AMessageId_AndNoHeaders()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();
        const string text = "{\"action\":\"sendmessage\",\"text\":\"héllo wörld ✓ 🚀 \\\"quoted\\\" </script>\"}";

        await client.SendTextAsync(text);
        var message = (await _backend.NextEventAsync("sendmessage")).Event;

        Assert.Equal(text, message.GetProperty("body").GetString());
        Assert.False(message.GetProperty("isBase64Encoded").GetBoolean());
        Assert.False(message.TryGetProperty("headers", out _));
        Assert.False(message.TryGetProperty("multiValueHeaders", out _));
        Assert.False(message.TryGetProperty("queryStringParameters", out _));
        var context = message.GetProperty("requestContext");
        Assert.Equal("sendmessage", context.GetProperty("routeKey").GetString());
        Assert.Equal("MESSAGE", context.GetProperty("eventType").GetString());
        Assert.Matches(IdShape(), context.GetProperty("messageId").GetString());
        Assert.Equal("IN", context.GetProperty("messageDirection").GetString());
        Assert.False(context.TryGetProperty("disconnectStatusCode", out _));
    }

    [Fact]
    public async Task MessageEvents_ShareTheConnectionsIdAndConnectedAt_AndEachHasNewRequestAndMessageIds()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();
        var connect = (await _backend.NextEventAsync("$connect")).RequestContext;

        await client.SendTextAsync("first");
        var first = (await _backend.NextEventAsync("$default")).RequestContext;
        await client.SendTextAsync("second");
        var second = (await _backend.NextEventAsync("$default")).RequestContext;

        foreach (var message in new[] { first, second })
        {
            Assert.Equal(connect.GetProperty("connectionId").GetString(), message.GetProperty("connectionId").GetString());
            Assert.Equal(connect.GetProperty("connectedAt").GetInt64(), message.GetProperty("connectedAt").GetInt64());
            Assert.Equal(message.GetProperty("requestId").GetString(), message.GetProperty("extendedRequestId").GetString());
            Assert.True(message.GetProperty("requestTimeEpoch").GetInt64() >= connect.GetProperty("connectedAt").GetInt64());
            AssertRequestTime(message, message.GetProperty("requestTimeEpoch").GetInt64());
        }

        string?[] requestIds = [connect.GetProperty("requestId").GetString(), first.GetProperty("requestId").GetString(), second.GetProperty("requestId").GetString()];
        Assert.Equal(3, requestIds.Distinct().Count());
        Assert.NotEqual(first.GetProperty("messageId").GetString(), second.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task DisconnectEvent_HasExactlyTheFourApiGatewayHeaders_AndTheCloseStatus()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync(configure: WithHeaders);
        var connect = (await _backend.NextEventAsync("$connect")).RequestContext;

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "see you");
        var disconnect = (await _backend.NextEventAsync("$disconnect")).Event;

        var headers = StringMap(disconnect.GetProperty("headers"));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Host"] = gateway.BaseUri.Authority,
                ["x-api-key"] = "",
                ["X-Forwarded-For"] = "127.0.0.1",
                ["x-restapi"] = "",
            },
            headers);
        var multi = disconnect.GetProperty("multiValueHeaders").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
        Assert.Equal(headers.Keys.Order(), multi.Keys.Order());
        Assert.All(headers, header => Assert.Equal([header.Value], multi[header.Key]));
        Assert.False(disconnect.TryGetProperty("body", out _));
        Assert.False(disconnect.TryGetProperty("queryStringParameters", out _));
        Assert.False(disconnect.GetProperty("isBase64Encoded").GetBoolean());

        var context = disconnect.GetProperty("requestContext");
        Assert.Equal("$disconnect", context.GetProperty("routeKey").GetString());
        Assert.Equal("DISCONNECT", context.GetProperty("eventType").GetString());
        Assert.Equal(1000, context.GetProperty("disconnectStatusCode").GetInt32());
        Assert.Equal("see you", context.GetProperty("disconnectReason").GetString());
        Assert.Equal(connect.GetProperty("connectionId").GetString(), context.GetProperty("connectionId").GetString());
        Assert.Equal(connect.GetProperty("connectedAt").GetInt64(), context.GetProperty("connectedAt").GetInt64());
        Assert.NotEqual(connect.GetProperty("requestId").GetString(), context.GetProperty("requestId").GetString());
        Assert.Equal(context.GetProperty("requestId").GetString(), context.GetProperty("extendedRequestId").GetString());
        Assert.Equal("EventShapeTests/1.0", context.GetProperty("identity").GetProperty("userAgent").GetString());
        Assert.False(context.TryGetProperty("messageId", out _));
    }

    private static void AssertRequestTime(JsonElement context, long requestTimeEpoch)
    {
        var requestTime = context.GetProperty("requestTime").GetString()!;
        Assert.Matches(RequestTimeShape(), requestTime);
        var parsed = DateTimeOffset.ParseExact(requestTime, "dd/MMM/yyyy:HH:mm:ss '+0000'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(requestTimeEpoch).ToUnixTimeSeconds(), parsed.ToUnixTimeSeconds());
    }

    private static Dictionary<string, string> StringMap(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    /// <summary>API Gateway's 16-character ids: 15 URL-safe base64 characters and '='.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{15}=$")]
    private static partial Regex IdShape();

    [GeneratedRegex("^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$")]
    private static partial Regex TraceId();

    [GeneratedRegex(@"^\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")]
    private static partial Regex RequestTimeShape();
}
