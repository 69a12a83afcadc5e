namespace Switchboard.Configuration;

/// <summary>Who may open WebSocket connections from a browser, and whose forwarding headers are believed.</summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// Web origins (<c>https://app.example.com</c>: scheme, host and optional port, no path) whose pages may open a
    /// WebSocket to the gateway. Empty (the default): any origin, as API Gateway. When set, a handshake whose
    /// <c>Origin</c> is not listed answers 403 before <c>$connect</c> or the registry is touched; handshakes without
    /// <c>Origin</c> (clients that are not browsers) are not affected.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Addresses (<c>10.0.0.5</c>, <c>::1</c>) and networks (<c>10.0.0.0/8</c>, <c>fd00::/8</c>) of proxies whose
    /// <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Port</c> are believed. Empty (the default):
    /// those headers never change who the client is. The client is then the rightmost address in
    /// <c>X-Forwarded-For</c> that is not a trusted proxy; it is the event's <c>sourceIp</c>, the address the rate limits
    /// count and the caller the management API's loopback rule checks.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}
