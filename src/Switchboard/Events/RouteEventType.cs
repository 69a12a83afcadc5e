namespace Switchboard.Events;

/// <summary>The <c>requestContext.eventType</c> of an event.</summary>
public enum RouteEventType
{
    /// <summary>The <c>$connect</c> route, run before the handshake completes.</summary>
    Connect,

    /// <summary>A message from the client, routed by the route selection expression.</summary>
    Message,

    /// <summary>The <c>$disconnect</c> route, run after the socket has closed (best effort).</summary>
    Disconnect,
}
