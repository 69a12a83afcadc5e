using Switchboard.Transport;

namespace Switchboard.Authorization;

/// <summary>A handshake to authorize, with the facts the gateway gave it before <c>$connect</c>.</summary>
internal sealed record AuthorizationRequest(
    UpgradeRequest Upgrade,
    string ConnectionId,
    DateTimeOffset ConnectedAt,
    string SourceIp,
    string? UserAgent,
    string ApiId,
    string Stage);
