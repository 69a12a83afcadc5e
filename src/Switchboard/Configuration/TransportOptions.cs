namespace Switchboard.Configuration;

/// <summary>How WebSocket connections reach the gateway.</summary>
public sealed class TransportOptions
{
    /// <summary>
    /// When true, WebSocket handshakes for <c>/{Stage}</c> are answered by a Kestrel connection middleware before the
    /// HTTP pipeline, on every endpoint Kestrel binds: an idle connection then costs about half the memory and
    /// connects are faster. The application's middleware (authentication, forwarded headers, rate limiting) does not
    /// see those handshakes, so this is off by default in the library and on in the Switchboard executable. Requests
    /// it does not take (management calls, other paths, malformed handshakes) go through the HTTP pipeline as usual.
    /// </summary>
    public bool DirectUpgrade { get; set; }
}
