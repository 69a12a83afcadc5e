using System.Text;
using Microsoft.Extensions.Primitives;

namespace Switchboard.Events;

/// <summary>
/// Everything API Gateway puts into a Lambda-proxy WebSocket event. HTTP integrations receive it
/// serialized by <see cref="ProxyEventWriter"/>; in-process handlers receive this object.
/// </summary>
public sealed class RouteEvent
{
    private string? _body;

    /// <summary>The matched route key (<c>$connect</c>, <c>$default</c>, a custom key, …).</summary>
    public required string RouteKey { get; init; }

    /// <summary>CONNECT, MESSAGE or DISCONNECT.</summary>
    public required RouteEventType EventType { get; init; }

    /// <summary>The connection's id; the same for every event of the connection.</summary>
    public required string ConnectionId { get; init; }

    /// <summary>A new id for this event (<c>requestId</c> and <c>extendedRequestId</c>).</summary>
    public required string RequestId { get; init; }

    /// <summary>A new id for each message; null on CONNECT and DISCONNECT.</summary>
    public string? MessageId { get; init; }

    /// <summary>When the handshake arrived.</summary>
    public required DateTimeOffset ConnectedAt { get; init; }

    /// <summary>When this event arrived.</summary>
    public required DateTimeOffset RequestTime { get; init; }

    /// <summary>The stage name.</summary>
    public required string Stage { get; init; }

    /// <summary>The API id.</summary>
    public required string ApiId { get; init; }

    /// <summary>
    /// Where backends reach the management API: <c>{DomainName}/{Stage}/@connections</c>, or
    /// <c>{DomainName}/{BasePath}/@connections</c> when the API is mounted under <c>Switchboard:BasePath</c>
    /// (as under an API Gateway custom domain, whose name this then is).
    /// </summary>
    public required string DomainName { get; init; }

    /// <summary>The client's IP address.</summary>
    public required string SourceIp { get; init; }

    /// <summary>The client's User-Agent header, when it sent one.</summary>
    public string? UserAgent { get; init; }

    /// <summary>Handshake headers (CONNECT) or the fixed DISCONNECT set; null on MESSAGE.</summary>
    public IReadOnlyList<KeyValuePair<string, StringValues>>? Headers { get; init; }

    /// <summary>Query string of the handshake URL (CONNECT only, and only when it had one).</summary>
    public IReadOnlyList<KeyValuePair<string, StringValues>>? QueryString { get; init; }

    /// <summary>The message text as UTF-8 (MESSAGE only).</summary>
    public ReadOnlyMemory<byte> BodyUtf8 { get; init; }

    /// <summary>The message text (MESSAGE only); decoded on first use.</summary>
    public string? Body => EventType == RouteEventType.Message ? _body ??= Encoding.UTF8.GetString(BodyUtf8.Span) : null;

    /// <summary>The WebSocket close code (DISCONNECT only).</summary>
    public int? DisconnectStatusCode { get; init; }

    /// <summary>Why the connection ended (DISCONNECT only); may be empty.</summary>
    public string? DisconnectReason { get; init; }

    /// <summary>
    /// What the <c>$connect</c> authorizer answered for this connection (<c>requestContext.authorizer</c>); the same on
    /// every event of the connection; null when no authorizer is configured.
    /// </summary>
    public AuthorizerContext? Authorizer { get; init; }

    /// <summary>
    /// Set only on the event sent to a <c>$connect</c> authorizer (API Gateway's REQUEST authorizer input): the ARN its
    /// policy is evaluated against, <c>arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect</c>. An
    /// integration answers such an event with the authorizer's own result (principalId, policyDocument, context) as
    /// the response body, not with a Lambda-proxy result.
    /// </summary>
    public string? MethodArn { get; init; }

    /// <summary>
    /// The stage's variables (<c>Switchboard:StageVariables</c>), the same instance on every event; null when the
    /// definition has none. Proxy events carry them as <c>stageVariables</c> only when there are some; authorizer
    /// events always (<c>{}</c> when none), as API Gateway's do.
    /// </summary>
    public IReadOnlyDictionary<string, string>? StageVariables { get; init; }

    /// <summary>True for the event sent to a <c>$connect</c> authorizer (see <see cref="MethodArn"/>).</summary>
    public bool IsAuthorizerRequest => MethodArn is not null;
}
