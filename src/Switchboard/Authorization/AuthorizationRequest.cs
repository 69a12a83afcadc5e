using Switchboard.Security;
using Switchboard.Transport;

namespace Switchboard.Authorization;

/// <summary>
/// A handshake to authorize, with the facts the gateway gave it before <c>$connect</c>; <see cref="Client"/> is what
/// the client used (behind trusted proxies, what they reported), <see cref="SourceIp"/> its address.
/// </summary>
internal sealed record AuthorizationRequest(
    UpgradeRequest Upgrade,
    ClientEndpoint Client,
    string ConnectionId,
    DateTimeOffset ConnectedAt,
    string SourceIp,
    string? UserAgent,
    string ApiId,
    string Stage);
