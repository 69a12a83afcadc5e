using Switchboard.Events;

namespace Switchboard.Authorization;

/// <summary>
/// What a <c>$connect</c> authorizer decided: allowed with a context for the connection's events, or refused with
/// the handshake's status — 401 (no or a bad identity, <c>Unauthorized</c>), 403 (the policy does not allow it) or 500
/// (the authorizer failed, timed out or answered something that is not a valid result).
/// </summary>
/// <param name="RefusalStatus">The status to refuse the handshake with; null when allowed.</param>
/// <param name="Context">What the connection's events carry as <c>requestContext.authorizer</c> when allowed.</param>
/// <param name="Detail">Why, for the log (never a token or secret).</param>
internal readonly record struct AuthorizerDecision(int? RefusalStatus, AuthorizerContext? Context, string Detail)
{
    public static AuthorizerDecision Allow(AuthorizerContext context) => new(null, context, "allowed");

    public static AuthorizerDecision Unauthorized(string detail) => new(401, null, detail);

    public static AuthorizerDecision Forbidden(string detail) => new(403, null, detail);

    public static AuthorizerDecision Failed(string detail) => new(500, null, detail);
}
