using Switchboard.Configuration;

namespace Switchboard.Integrations;

/// <summary>
/// An <see cref="IIntegrationKind"/> whose settings are valid on some routes and not others (an <c>http_proxy</c>
/// mapping of handshake headers only on <c>$connect</c>): checked with the route's context after
/// <see cref="IIntegrationKind.Validate"/>.
/// </summary>
internal interface IRouteDependentIntegrationKind
{
    /// <summary>What is wrong with <paramref name="integration"/>'s settings on the route <paramref name="route"/> describes.</summary>
    IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration, IntegrationRouteContext route);
}

/// <summary>Where an integration is configured.</summary>
/// <param name="RouteKey">The route's key.</param>
/// <param name="IsAuthorizer">True for the integration of the route's <c>$connect</c> authorizer.</param>
/// <param name="HasConnectAuthorizer">True when the <c>$connect</c> route has an authorizer, so events carry <c>requestContext.authorizer</c>.</param>
/// <param name="StageVariables">The stage's variables.</param>
internal sealed record IntegrationRouteContext(string RouteKey, bool IsAuthorizer, bool HasConnectAuthorizer, IReadOnlyDictionary<string, string> StageVariables);
