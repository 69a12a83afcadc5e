using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;

namespace Switchboard.Authorization;

/// <summary>
/// The <c>$connect</c> route's authorizer with its identity sources: a handshake missing any of them is refused with
/// 401 before the authorizer is called (API Gateway's rule); otherwise the authorizer decides. Refusals are logged at
/// Debug with their reason, failures (500) as a warning at most once a minute, since any client can cause them at will;
/// never with the caller's token.
/// </summary>
internal sealed class ConnectAuthorization(
    IReadOnlyList<IdentitySource> identitySources,
    IReadOnlyDictionary<string, string> stageVariables,
    IConnectAuthorizer authorizer,
    TimeProvider time,
    ILogger<ConnectAuthorization> logger)
{
    private readonly LogThrottle _failureLog = new(time, LogThrottle.RefusalInterval);

    /// <summary>The REQUEST authorizer's integration; null for a JWT authorizer, which calls none.</summary>
    public Routing.CompiledRoute? Integration => (authorizer as RequestAuthorizer)?.Integration;

    public async ValueTask<AuthorizerDecision> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = MissingIdentity(request) is { } missing
            ? AuthorizerDecision.Unauthorized($"identity source {missing} is missing or empty")
            : await authorizer.AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
        switch (decision.RefusalStatus)
        {
            case null:
                break;
            case >= 500:
                if (_failureLog.TryEnter(out var suppressed))
                {
                    Log.AuthorizerFailed(logger, request.ConnectionId, decision.RefusalStatus.Value, decision.Detail, suppressed);
                }

                break;
            default:
                Log.AuthorizerRefused(logger, request.ConnectionId, decision.RefusalStatus.Value, decision.Detail);
                break;
        }

        return decision;
    }

    private IdentitySource? MissingIdentity(AuthorizationRequest request) =>
        identitySources.FirstOrDefault(source => string.IsNullOrEmpty(source.Resolve(request, stageVariables)));
}
