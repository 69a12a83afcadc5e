using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Security;
using Switchboard.Transport;

namespace Switchboard.Events;

/// <summary>
/// Builds CONNECT, MESSAGE and DISCONNECT events the way API Gateway shapes them. Each event carries the stage
/// variables of the route table its unit of work holds (<see cref="Routing.RouteTable.StageVariables"/>), so a reload
/// never mixes a snapshot's integrations with another's stage variables.
/// </summary>
internal sealed class RouteEventFactory(SwitchboardOptions options, AllowedHosts hosts)
{
    private const string ForwardedFor = "X-Forwarded-For";

    /// <summary>
    /// API Gateway does not pass the handshake's hop headers to the <c>$connect</c> integration, and sets the
    /// forwarding and trace headers itself: a client's own copies are merged into (X-Forwarded-For) or replaced by the
    /// gateway's, so that every name appears once (strict JSON parsers reject duplicate keys, lenient ones keep the
    /// last, which would be whichever the client chose).
    /// </summary>
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Upgrade", "X-Amzn-Trace-Id", ForwardedFor, "X-Forwarded-Port", "X-Forwarded-Proto",
    };

    /// <summary>The authorizer's event keeps the hop headers (API Gateway's does); the gateway's own still replace the client's.</summary>
    private static readonly HashSet<string> ReplacedByGateway = new(StringComparer.OrdinalIgnoreCase)
    {
        "X-Amzn-Trace-Id", ForwardedFor, "X-Forwarded-Port", "X-Forwarded-Proto",
    };

    /// <summary>Never the client's Host header as such: see <see cref="AllowedHosts.DomainNameFor"/>.</summary>
    public string DomainNameFor(UpgradeRequest request) => hosts.DomainNameFor(request.Headers.Host, request.LocalPort);

    /// <summary>
    /// The <c>$connect</c> integration's event: the handshake as API Gateway passes it on, hop headers left out.
    /// <paramref name="client"/> is what the client used (behind trusted proxies, what they reported): the event's
    /// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Port</c>; <paramref name="sourceIp"/> is its address.
    /// </summary>
    public RouteEvent Connect(UpgradeRequest request, ClientEndpoint client, string connectionId, DateTimeOffset now, string sourceIp, string? userAgent, AuthorizerContext? authorizer, IReadOnlyDictionary<string, string>? stageVariables) =>
        ConnectEvent(request, client, connectionId, now, sourceIp, userAgent, NotCopied, authorizer, methodArn: null, stageVariables);

    /// <summary>
    /// The <c>$connect</c> authorizer's event (API Gateway's REQUEST authorizer input): the CONNECT event's request
    /// context, every handshake header including <c>Connection</c> and <c>Upgrade</c>, the stage variables and the
    /// method ARN its policy is evaluated against.
    /// </summary>
    public RouteEvent Authorize(UpgradeRequest request, ClientEndpoint client, string connectionId, DateTimeOffset now, string sourceIp, string? userAgent, string methodArn, IReadOnlyDictionary<string, string>? stageVariables) =>
        ConnectEvent(request, client, connectionId, now, sourceIp, userAgent, ReplacedByGateway, authorizer: null, methodArn, stageVariables);

    private RouteEvent ConnectEvent(UpgradeRequest request, ClientEndpoint client, string connectionId, DateTimeOffset now, string sourceIp, string? userAgent, HashSet<string> notCopied, AuthorizerContext? authorizer, string? methodArn, IReadOnlyDictionary<string, string>? stageVariables)
    {
        var headers = new List<KeyValuePair<string, StringValues>>(request.Headers.Count + 4);
        foreach (var header in request.Headers)
        {
            if (!notCopied.Contains(header.Key) && !header.Key.StartsWith(':'))
            {
                headers.Add(header);
            }
        }

        // As a proxy appends the address it received the request from to the list the client (or a proxy before it)
        // sent: behind trusted proxies that is the nearest proxy, not the client that sourceIp names.
        var peer = request.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : request.RemoteIpAddress;
        var receivedFrom = peer is null || peer.Equals(client.Address) ? sourceIp : peer.ToString();
        var forwardedFor = request.Headers.TryGetValue(ForwardedFor, out var sent) && string.Join(", ", (IEnumerable<string?>)sent) is { Length: > 0 } list
            ? $"{list}, {receivedFrom}"
            : receivedFrom;
        headers.Add(new("X-Amzn-Trace-Id", Diagnostics.SwitchboardActivities.AmznTraceId() ?? NewTraceId(now)));
        headers.Add(new(ForwardedFor, forwardedFor));
        headers.Add(new("X-Forwarded-Port", client.Port.ToString(CultureInfo.InvariantCulture)));
        headers.Add(new("X-Forwarded-Proto", client.Scheme));

        return new RouteEvent
        {
            RouteKey = Routing.RouteTable.ConnectKey,
            EventType = RouteEventType.Connect,
            ConnectionId = connectionId,
            RequestId = ConnectionId.New(),
            ConnectedAt = now,
            RequestTime = now,
            Stage = options.Stage,
            ApiId = options.ApiId,
            DomainName = DomainNameFor(request),
            SourceIp = sourceIp,
            UserAgent = userAgent,
            Headers = headers,
            QueryString = request.Query.Count == 0 ? null : request.Query.ToList(),
            Authorizer = authorizer,
            MethodArn = methodArn,
            StageVariables = stageVariables,
        };
    }

    public RouteEvent Message(string routeKey, GatewayConnection connection, string domainName, byte[] body, DateTimeOffset now, IReadOnlyDictionary<string, string>? stageVariables) => new()
    {
        RouteKey = routeKey,
        EventType = RouteEventType.Message,
        ConnectionId = connection.Id,
        RequestId = ConnectionId.New(),
        MessageId = ConnectionId.New(),
        ConnectedAt = connection.ConnectedAt,
        RequestTime = now,
        Stage = options.Stage,
        ApiId = options.ApiId,
        DomainName = domainName,
        SourceIp = connection.SourceIp,
        UserAgent = connection.UserAgent,
        BodyUtf8 = body,
        Authorizer = connection.Authorizer,
        StageVariables = stageVariables,
    };

    public RouteEvent Disconnect(GatewayConnection connection, string domainName, int statusCode, string reason, DateTimeOffset now, IReadOnlyDictionary<string, string>? stageVariables) =>
        DisconnectEvent(connection.Id, connection.ConnectedAt, connection.SourceIp, connection.UserAgent, connection.Authorizer, domainName, statusCode, reason, now, stageVariables);

    /// <summary>
    /// The <c>$disconnect</c> of a connection whose node was lost: what the registry kept of it. The domain name is the
    /// configured one (else <c>localhost</c>), as the handshake's Host is not kept, and there is no
    /// <c>requestContext.authorizer</c>, as the authorizer's answer is not kept either.
    /// </summary>
    public RouteEvent LostDisconnect(Registry.LostConnection lost, int statusCode, string reason, DateTimeOffset now, IReadOnlyDictionary<string, string>? stageVariables) =>
        DisconnectEvent(lost.ConnectionId, lost.ConnectedAt, lost.SourceIp, lost.UserAgent, authorizer: null, hosts.DomainNameWithoutHandshake, statusCode, reason, now, stageVariables);

    private RouteEvent DisconnectEvent(string connectionId, DateTimeOffset connectedAt, string sourceIp, string? userAgent, AuthorizerContext? authorizer, string domainName, int statusCode, string reason, DateTimeOffset now, IReadOnlyDictionary<string, string>? stageVariables) => new()
    {
        RouteKey = Routing.RouteTable.DisconnectKey,
        EventType = RouteEventType.Disconnect,
        ConnectionId = connectionId,
        RequestId = ConnectionId.New(),
        ConnectedAt = connectedAt,
        RequestTime = now,
        Stage = options.Stage,
        ApiId = options.ApiId,
        DomainName = domainName,
        SourceIp = sourceIp,
        UserAgent = userAgent,
        Headers =
        [
            new("Host", domainName),
            new("x-api-key", ""),
            new("X-Forwarded-For", sourceIp),
            new("x-restapi", ""),
        ],
        DisconnectStatusCode = statusCode,
        DisconnectReason = reason,
        Authorizer = authorizer,
        StageVariables = stageVariables,
    };

    /// <summary>
    /// An X-Ray style trace id when the handshake is not traced: <c>Root=1-{epoch seconds, hex}-{96 random bits, hex}</c>.
    /// When it is, the header carries the handshake's W3C trace id instead (<see cref="Diagnostics.SwitchboardActivities.AmznTraceId"/>).
    /// </summary>
    private static string NewTraceId(DateTimeOffset now) =>
        $"Root=1-{now.ToUnixTimeSeconds():x8}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
}
