using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Switchboard.Events;

/// <summary>
/// Writes a <see cref="RouteEvent"/> as the JSON API Gateway sends to a Lambda-proxy integration,
/// field for field (see docs/aws-compatibility.md). Written with <see cref="Utf8JsonWriter"/>: no reflection, no DOM.
/// </summary>
public static class ProxyEventWriter
{
    private static readonly string[] EventTypeNames = ["CONNECT", "MESSAGE", "DISCONNECT"];

    /// <summary>
    /// Events are read by programs, never embedded in HTML, so non-ASCII text is written as is
    /// (as API Gateway does) rather than as \u escapes.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the event as one JSON object: API Gateway's authorizer input when <see cref="RouteEvent.IsAuthorizerRequest"/>.</summary>
    public static void Write(Utf8JsonWriter writer, RouteEvent routeEvent)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(routeEvent);
        if (routeEvent.IsAuthorizerRequest)
        {
            WriteAuthorizerRequest(writer, routeEvent);
            return;
        }

        writer.WriteStartObject();
        if (routeEvent.Headers is { } headers)
        {
            WriteSingleValues(writer, "headers", headers);
            WriteMultiValues(writer, "multiValueHeaders", headers);
        }

        if (routeEvent.QueryString is { Count: > 0 } query)
        {
            WriteSingleValues(writer, "queryStringParameters", query);
            WriteMultiValues(writer, "multiValueQueryStringParameters", query);
        }

        if (routeEvent.StageVariables is { Count: > 0 } stageVariables)
        {
            WriteStageVariables(writer, stageVariables);
        }

        WriteRequestContext(writer, routeEvent);
        if (routeEvent.EventType == RouteEventType.Message)
        {
            writer.WriteString("body", routeEvent.BodyUtf8.Span);
        }

        writer.WriteBoolean("isBase64Encoded", false);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The REQUEST authorizer's input: <c>type</c>, <c>methodArn</c>, the handshake's headers (with <c>Connection</c>
    /// and <c>Upgrade</c>) and query (<c>{}</c> when none), <c>stageVariables</c> and the CONNECT request context.
    /// </summary>
    private static void WriteAuthorizerRequest(Utf8JsonWriter writer, RouteEvent routeEvent)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "REQUEST");
        writer.WriteString("methodArn", routeEvent.MethodArn);
        IReadOnlyList<KeyValuePair<string, StringValues>> headers = routeEvent.Headers ?? [];
        WriteSingleValues(writer, "headers", headers);
        WriteMultiValues(writer, "multiValueHeaders", headers);
        IReadOnlyList<KeyValuePair<string, StringValues>> query = routeEvent.QueryString ?? [];
        WriteSingleValues(writer, "queryStringParameters", query);
        WriteMultiValues(writer, "multiValueQueryStringParameters", query);
        WriteStageVariables(writer, routeEvent.StageVariables ?? System.Collections.Frozen.FrozenDictionary<string, string>.Empty);
        WriteRequestContext(writer, routeEvent);
        writer.WriteEndObject();
    }

    private static void WriteStageVariables(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> stageVariables)
    {
        writer.WriteStartObject("stageVariables");
        foreach (var (name, value) in stageVariables)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>The event as a UTF-8 JSON document.</summary>
    public static byte[] ToUtf8Bytes(RouteEvent routeEvent)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, routeEvent);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>API Gateway's <c>requestTime</c> format: <c>20/Jan/2024:11:55:08 +0000</c>.</summary>
    public static string FormatRequestTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);

    private static void WriteRequestContext(Utf8JsonWriter writer, RouteEvent e)
    {
        writer.WriteStartObject("requestContext");
        writer.WriteString("routeKey", e.RouteKey);
        if (e.Authorizer is { } authorizer)
        {
            WriteAuthorizer(writer, authorizer);
        }

        if (e.MessageId is not null)
        {
            writer.WriteString("messageId", e.MessageId);
        }

        writer.WriteString("eventType", EventTypeNames[(int)e.EventType]);
        writer.WriteString("extendedRequestId", e.RequestId);
        writer.WriteString("requestTime", FormatRequestTime(e.RequestTime));
        writer.WriteString("messageDirection", "IN");
        if (e.EventType == RouteEventType.Disconnect)
        {
            writer.WriteNumber("disconnectStatusCode", e.DisconnectStatusCode ?? 1005);
            writer.WriteString("disconnectReason", e.DisconnectReason ?? "");
        }

        writer.WriteString("stage", e.Stage);
        writer.WriteNumber("connectedAt", e.ConnectedAt.ToUnixTimeMilliseconds());
        writer.WriteNumber("requestTimeEpoch", e.RequestTime.ToUnixTimeMilliseconds());
        writer.WriteStartObject("identity");
        if (e.UserAgent is not null)
        {
            writer.WriteString("userAgent", e.UserAgent);
        }

        writer.WriteString("sourceIp", e.SourceIp);
        writer.WriteEndObject();
        writer.WriteString("requestId", e.RequestId);
        writer.WriteString("domainName", e.DomainName);
        writer.WriteString("connectionId", e.ConnectionId);
        writer.WriteString("apiId", e.ApiId);
        writer.WriteEndObject();
    }

    /// <summary><c>{principalId, …context, integrationLatency}</c>; context values keep their JSON types.</summary>
    private static void WriteAuthorizer(Utf8JsonWriter writer, AuthorizerContext authorizer)
    {
        writer.WriteStartObject("authorizer");
        writer.WriteString("principalId", authorizer.PrincipalId);
        foreach (var (key, value) in authorizer.Context)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }

        writer.WriteNumber("integrationLatency", authorizer.IntegrationLatency);
        writer.WriteEndObject();
    }

    private static void WriteSingleValues(Utf8JsonWriter writer, string name, IReadOnlyList<KeyValuePair<string, StringValues>> values)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            // A repeated name keeps its last value, as API Gateway's single-value maps do.
            writer.WriteString(key, value.Count == 0 ? "" : value[value.Count - 1]);
        }

        writer.WriteEndObject();
    }

    private static void WriteMultiValues(Utf8JsonWriter writer, string name, IReadOnlyList<KeyValuePair<string, StringValues>> values)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            writer.WriteStartArray(key);
            foreach (var item in value)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}
