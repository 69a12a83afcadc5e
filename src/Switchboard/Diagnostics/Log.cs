using Microsoft.Extensions.Logging;

namespace Switchboard.Diagnostics;

/// <summary>Every log line the gateway writes, with stable event ids. Secrets (integration headers, payloads) are never logged.</summary>
internal static partial class Log
{
    /// <summary>The category of the per-connection events (1 and 2): off by default, on with <c>Logging:LogLevel:Switchboard.Connections=Debug</c>.</summary>
    public const string ConnectionsCategory = "Switchboard.Connections";

    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} opened from {SourceIp}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string sourceIp);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} from {SourceIp} closed after {DurationMs} ms: {CloseCode} {CloseReason}")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string sourceIp, long durationMs, int closeCode, string closeReason);

    [LoggerMessage(3, LogLevel.Information, "$connect rejected connection {ConnectionId} with HTTP {StatusCode}")]
    public static partial void ConnectRejected(ILogger logger, string connectionId, int statusCode);

    [LoggerMessage(4, LogLevel.Warning, "Integration for route {RouteKey} failed (connection {ConnectionId}, requestId {RequestId}): {Detail}")]
    public static partial void IntegrationFailed(ILogger logger, string routeKey, string connectionId, string requestId, string detail);

    [LoggerMessage(77, LogLevel.Warning, "Integration for route {RouteKey} refused a call (connection {ConnectionId}, requestId {RequestId}): {Detail}; {Suppressed} more refused since the previous warning")]
    public static partial void IntegrationCallRefused(ILogger logger, string routeKey, string connectionId, string requestId, string detail, long suppressed);

    [LoggerMessage(5, LogLevel.Warning, "Integration for route {RouteKey} timed out (connection {ConnectionId}, requestId {RequestId}): {Detail}")]
    public static partial void IntegrationTimedOut(ILogger logger, string routeKey, string connectionId, string requestId, string detail);

    [LoggerMessage(6, LogLevel.Information, "Message on connection {ConnectionId} matched no route and there is no $default route (requestId {RequestId})")]
    public static partial void NoRoute(ILogger logger, string connectionId, string requestId);

    [LoggerMessage(7, LogLevel.Error, "The connection registry is unavailable; connection attempt refused with 503")]
    public static partial void RegistryUnavailableOnConnect(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Could not remove connection {ConnectionId} from the registry")]
    public static partial void RegistryRemoveFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Shutting down: closing {Count} connection(s)")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Warning, "Shutdown timed out with {Count} connection(s) still closing")]
    public static partial void ShutdownTimedOut(ILogger logger, int count);

    [LoggerMessage(11, LogLevel.Debug, "Connection {ConnectionId} ended with a transport error")]
    public static partial void ConnectionFaulted(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(12, LogLevel.Error, "Unexpected error on connection {ConnectionId}")]
    public static partial void UnexpectedConnectionError(ILogger logger, string connectionId, Exception exception);

    /// <summary>The category of the gateway's start-up lines, named for the gateway rather than for the namespaces of its extension classes (which hosts usually filter to warnings).</summary>
    public const string HostingCategory = "Switchboard.Hosting";

    [LoggerMessage(72, LogLevel.Information, "Sending $disconnect for {Count} connection(s) lost with their gateway node")]
    public static partial void LostDisconnectsTaken(ILogger logger, int count);

    [LoggerMessage(73, LogLevel.Warning, "$disconnect for connection {ConnectionId}, lost with its gateway node, was not delivered (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void LostDisconnectRetrying(ILogger logger, string connectionId, int attempt, long delayMs);

    [LoggerMessage(74, LogLevel.Error, "$disconnect for connection {ConnectionId}, lost with its gateway node, given up after {Attempt} attempt(s): it was still undelivered {RetryWindowSeconds} s after the loss (Limits:LostDisconnectRetryWindow)")]
    public static partial void LostDisconnectGivenUp(ILogger logger, string connectionId, int attempt, double retryWindowSeconds);

    [LoggerMessage(75, LogLevel.Warning, "The registry's outbox of $disconnect events for lost connections failed; what it still owes is sent later")]
    public static partial void LostDisconnectOutboxFailed(ILogger logger, Exception exception);

    [LoggerMessage(70, LogLevel.Warning, "WebSocket handshakes on {Address} go through the HTTP pipeline, not the direct upgrade (about twice the memory per connection): {Reason}")]
    public static partial void DirectUpgradeNotUnderTls(ILogger logger, string address, string reason);

    [LoggerMessage(13, LogLevel.Information, "Switchboard stage '{Stage}': {RouteCount} route(s), WebSocket endpoint /{Stage}, management API /{Stage}/@connections")]
    public static partial void Started(ILogger logger, string stage, int routeCount);

    [LoggerMessage(76, LogLevel.Warning, "Disposing an integration ({IntegrationType}) of a route table replaced by a reload failed")]
    public static partial void RetiredIntegrationDisposeFailed(ILogger logger, string integrationType, Exception exception);

    [LoggerMessage(88, LogLevel.Information, "Switchboard stage '{Stage}' under Switchboard:BasePath: {RouteCount} route(s), WebSocket endpoint {WebSocketPath}, management API {ManagementPrefix}/@connections")]
    public static partial void StartedUnderBasePath(ILogger logger, string stage, int routeCount, string webSocketPath, string managementPrefix);

    [LoggerMessage(14, LogLevel.Warning, "Management call from non-loopback address {RemoteAddress} refused (set Switchboard:Management:AllowRemote to allow it); {Suppressed} more refused since the previous warning")]
    public static partial void RemoteManagementRefused(ILogger logger, string remoteAddress, long suppressed);

    [LoggerMessage(15, LogLevel.Warning, "Management {Method} answered 503: the connection registry or backplane is unavailable")]
    public static partial void RegistryUnavailableOnManagement(ILogger logger, string method, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "Management call from a page of another origin ({Origin}) refused (list it in Switchboard:Management:AllowedOrigins to allow it); {Suppressed} more refused since the previous warning")]
    public static partial void CrossSiteManagementRefused(ILogger logger, string origin, long suppressed);

    [LoggerMessage(21, LogLevel.Warning, "A convention was added to the WebSocket endpoint /{Stage} while Switchboard:Transport:DirectUpgrade is on: the handshakes it answers below the HTTP pipeline skip endpoint conventions (authorization, RequireHost, rate limiting, CORS, filters); turn DirectUpgrade off for them to apply to every handshake")]
    public static partial void WebSocketConventionsBypassedByDirectUpgrade(ILogger logger, string stage);

    [LoggerMessage(30, LogLevel.Warning, "Connection limit reached: {MaxConnections} connection(s) open on this node; new handshakes are answered 503 until one closes (Switchboard:Limits:MaxConnections); {Suppressed} more refused since the previous warning")]
    public static partial void ConnectionLimitReached(ILogger logger, int maxConnections, long suppressed);

    [LoggerMessage(95, LogLevel.Warning, "Memory nearly used up: {InUseMegabytes} MB of heap in use, at or above {HighWaterMegabytes} MB ({HighWaterPercent} % of the {AvailableMegabytes} MB the GC may use); new handshakes are answered 503 until it falls below; {Suppressed} more refused since the previous warning")]
    public static partial void MemoryLimitReached(ILogger logger, long inUseMegabytes, long highWaterMegabytes, int highWaterPercent, long availableMegabytes, long suppressed);

    [LoggerMessage(31, LogLevel.Information, "Connections: at most {MaxConnections} WebSocket(s) and {OtherSockets} other socket(s) at once, {Source}")]
    public static partial void ConnectionBudget(ILogger logger, int maxConnections, int otherSockets, string source);

    [LoggerMessage(32, LogLevel.Warning, "Switchboard:Limits:MaxConnections ({MaxConnections}) needs {Missing} more open file(s) than the limit of {OpenFileLimit} allows: the process may abort when it is reached")]
    public static partial void ConnectionBudgetOvercommitted(ILogger logger, int maxConnections, long missing, long openFileLimit);

    [LoggerMessage(40, LogLevel.Warning, "Could not write the activity of {Count} connection(s) to the registry; the next sweep writes it again")]
    public static partial void ActivityWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(41, LogLevel.Warning, "Management call from {RemoteAddress} refused: it did not authenticate ({ErrorType}; see Switchboard:Management:Authentication); {Suppressed} more refused since the previous warning")]
    public static partial void ManagementAuthenticationRefused(ILogger logger, string errorType, string remoteAddress, long suppressed);

    [LoggerMessage(42, LogLevel.Information, "Management API authentication: {CredentialCount} SigV4 credential(s) (region {Region}, service execute-api) and {ApiKeyCount} API key(s); every management call must present one")]
    public static partial void ManagementAuthenticationEnabled(ILogger logger, int credentialCount, string region, int apiKeyCount);

    [LoggerMessage(50, LogLevel.Debug, "$connect authorizer refused connection {ConnectionId} with HTTP {StatusCode}: {Reason}")]
    public static partial void AuthorizerRefused(ILogger logger, string connectionId, int statusCode, string reason);

    [LoggerMessage(51, LogLevel.Warning, "$connect authorizer failed for connection {ConnectionId}, handshake refused with HTTP {StatusCode}: {Reason}; {Suppressed} more failed since the previous warning")]
    public static partial void AuthorizerFailed(ILogger logger, string connectionId, int statusCode, string reason, long suppressed);

    [LoggerMessage(52, LogLevel.Error, "JWT authorizer: cannot fetch the key set from {JwksUri} ({Reason}); handshakes whose token needs a key not already fetched are refused with HTTP 500 until it answers; {Suppressed} more failed fetches since the previous error")]
    public static partial void JwksUnavailable(ILogger logger, Uri jwksUri, string reason, long suppressed);

    [LoggerMessage(53, LogLevel.Information, "JWT authorizer: fetched {KeyCount} signing key(s) from {JwksUri}")]
    public static partial void JwksFetched(ILogger logger, Uri jwksUri, int keyCount);

    [LoggerMessage(60, LogLevel.Warning, "WebSocket handshake from a page of origin {Origin} refused with 403 (list it in Switchboard:Security:AllowedOrigins to allow it); {Suppressed} more refused since the previous warning")]
    public static partial void HandshakeOriginRefused(ILogger logger, string origin, long suppressed);

    [LoggerMessage(61, LogLevel.Warning, "WebSocket handshake from {ClientAddress} refused with 429 by Switchboard:{Setting}; {Suppressed} more refused since the previous warning")]
    public static partial void HandshakeRateLimited(ILogger logger, string clientAddress, string setting, long suppressed);

    [LoggerMessage(62, LogLevel.Warning, "Message on connection {ConnectionId} dropped: over Switchboard:RateLimits:MessagesPerConnection (requestId {RequestId}); {Suppressed} more dropped since the previous warning")]
    public static partial void MessageRateLimited(ILogger logger, string connectionId, string requestId, long suppressed);

    [LoggerMessage(63, LogLevel.Warning, "Management call refused with 429: over Switchboard:RateLimits:ManagementRequests; {Suppressed} more refused since the previous warning")]
    public static partial void ManagementRateLimited(ILogger logger, long suppressed);

    [LoggerMessage(64, LogLevel.Warning, "Integration call for route {RouteKey} refused: over Switchboard:RateLimits:IntegrationCallsPerRoute (connection {ConnectionId}, requestId {RequestId}); {Suppressed} more refused since the previous warning")]
    public static partial void IntegrationRateLimited(ILogger logger, string routeKey, string connectionId, string requestId, long suppressed);
}
