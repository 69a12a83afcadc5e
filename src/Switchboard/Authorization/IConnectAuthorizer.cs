namespace Switchboard.Authorization;

/// <summary>
/// One kind of <c>$connect</c> authorizer (<c>Authorizer:Type</c>). Runs after the identity sources were found
/// present. Expected failures are decisions (500), not exceptions; thread-safe, one instance for every handshake.
/// </summary>
internal interface IConnectAuthorizer
{
    ValueTask<AuthorizerDecision> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken);
}
