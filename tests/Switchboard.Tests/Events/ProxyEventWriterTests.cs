using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Switchboard.Events;

namespace Switchboard.Tests.Events;

public sealed class ProxyEventWriterTests
{
    private static readonly DateTimeOffset ConnectedAt = DateTimeOffset.FromUnixTimeMilliseconds(1735725600123);

    private static JsonElement Write(RouteEvent routeEvent) => JsonDocument.Parse(ProxyEventWriter.ToUtf8Bytes(routeEvent)).RootElement;

    private static RouteEvent Message(string body) => new()
    {
        RouteKey = "sendmessage",
        EventType = RouteEventType.Message,
        ConnectionId = "Zq3LmA1bIAMCXyw=",
        RequestId = "Zq3Qe2t0IAMF7hA=",
        MessageId = "Zq3Qe4kHIAMCXyw=",
        ConnectedAt = ConnectedAt,
        RequestTime = ConnectedAt.AddSeconds(30),
        Stage = "dev",
        ApiId = "k3x9qz7v1a",
        DomainName = "127.0.0.1:8080",
        SourceIp = "203.0.113.25",
        UserAgent = "ExampleClient/1.0",
        BodyUtf8 = System.Text.Encoding.UTF8.GetBytes(body),
    };

    /// <summary>A $connect or $disconnect event (no body, message id or user agent) with the given extras.</summary>
    private static RouteEvent Lifecycle(
        string routeKey,
        RouteEventType eventType,
        string requestId,
        IReadOnlyList<KeyValuePair<string, StringValues>>? headers = null,
        IReadOnlyList<KeyValuePair<string, StringValues>>? queryString = null,
        int? disconnectStatusCode = null,
        string? disconnectReason = null) => new()
        {
            RouteKey = routeKey,
            EventType = eventType,
            ConnectionId = "Zq3LmA1bIAMCXyw=",
            RequestId = requestId,
            ConnectedAt = ConnectedAt,
            RequestTime = ConnectedAt,
            Stage = "dev",
            ApiId = "a",
            DomainName = "d",
            SourceIp = "1.2.3.4",
            Headers = headers,
            QueryString = queryString,
            DisconnectStatusCode = disconnectStatusCode,
            DisconnectReason = disconnectReason,
        };

    [Fact]
    public void MessageEvent_HasApiGatewayShape()
    {
        var root = Write(Message("""{"action":"sendmessage","text":"テスト"}"""));
        Assert.Equal("""{"action":"sendmessage","text":"テスト"}""", root.GetProperty("body").GetString());
        Assert.False(root.GetProperty("isBase64Encoded").GetBoolean());
        Assert.False(root.TryGetProperty("headers", out _));
        Assert.False(root.TryGetProperty("queryStringParameters", out _));
        var context = root.GetProperty("requestContext");
        Assert.Equal("sendmessage", context.GetProperty("routeKey").GetString());
        Assert.Equal("MESSAGE", context.GetProperty("eventType").GetString());
        Assert.Equal("Zq3Qe4kHIAMCXyw=", context.GetProperty("messageId").GetString());
        Assert.Equal(context.GetProperty("requestId").GetString(), context.GetProperty("extendedRequestId").GetString());
        Assert.Equal("01/Jan/2025:10:00:30 +0000", context.GetProperty("requestTime").GetString());
        Assert.Equal(1735725600123, context.GetProperty("connectedAt").GetInt64());
        Assert.Equal(1735725630123, context.GetProperty("requestTimeEpoch").GetInt64());
        Assert.Equal("IN", context.GetProperty("messageDirection").GetString());
        Assert.Equal("203.0.113.25", context.GetProperty("identity").GetProperty("sourceIp").GetString());
        Assert.Equal("ExampleClient/1.0", context.GetProperty("identity").GetProperty("userAgent").GetString());
        Assert.Equal("k3x9qz7v1a", context.GetProperty("apiId").GetString());
        Assert.Equal("127.0.0.1:8080", context.GetProperty("domainName").GetString());
        Assert.False(context.TryGetProperty("disconnectStatusCode", out _));
    }

    [Fact]
    public void NonAsciiText_IsWrittenUnescaped() =>
        Assert.Contains("テスト", System.Text.Encoding.UTF8.GetString(ProxyEventWriter.ToUtf8Bytes(Message("テスト"))), StringComparison.Ordinal);

    [Fact]
    public void ConnectEvent_HasHeadersAndQuery_SingleMapKeepsLastValue()
    {
        var root = Write(Lifecycle(
            "$connect",
            RouteEventType.Connect,
            "Zq3LmF7pIAMFa1Q=",
            headers: [new("Host", "d"), new("X-Multi", new StringValues(["one", "two"]))],
            queryString: [new("room", "42")]));
        Assert.Equal("two", root.GetProperty("headers").GetProperty("X-Multi").GetString());
        Assert.Equal(2, root.GetProperty("multiValueHeaders").GetProperty("X-Multi").GetArrayLength());
        Assert.Equal("42", root.GetProperty("queryStringParameters").GetProperty("room").GetString());
        Assert.Equal("42", root.GetProperty("multiValueQueryStringParameters").GetProperty("room")[0].GetString());
        Assert.False(root.TryGetProperty("body", out _));
        Assert.False(root.GetProperty("requestContext").TryGetProperty("messageId", out _));
        Assert.False(root.GetProperty("requestContext").GetProperty("identity").TryGetProperty("userAgent", out _));
    }

    [Fact]
    public void DisconnectEvent_CarriesStatusAndReason()
    {
        var context = Write(Lifecycle(
            "$disconnect",
            RouteEventType.Disconnect,
            "Zq3kQ9mVIAMF0bE=",
            disconnectStatusCode: 1001,
            disconnectReason: "Going away")).GetProperty("requestContext");
        Assert.Equal(1001, context.GetProperty("disconnectStatusCode").GetInt32());
        Assert.Equal("Going away", context.GetProperty("disconnectReason").GetString());
        Assert.Equal("DISCONNECT", context.GetProperty("eventType").GetString());
    }
}
