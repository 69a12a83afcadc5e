using System.Net;

namespace Switchboard.Security;

/// <summary>
/// The client as the gateway believes it to be: the peer of the TCP connection, or, when that peer is a trusted
/// proxy, what the proxies in front of the gateway reported (<see cref="TrustedProxies"/>).
/// </summary>
/// <param name="Address">The client's address; null when the transport has none (tests, in-memory transports).</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>: what the client used.</param>
/// <param name="Port">The port the client connected to.</param>
internal readonly record struct ClientEndpoint(IPAddress? Address, string Scheme, int Port);
