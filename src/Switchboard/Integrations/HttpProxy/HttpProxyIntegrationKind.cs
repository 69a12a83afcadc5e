using Microsoft.Extensions.Logging;
using Switchboard.Configuration;
using Switchboard.Integrations.Http;
using Switchboard.Routing;

namespace Switchboard.Integrations.HttpProxy;

/// <summary>
/// The <c>http_proxy</c> kind: <see cref="HttpProxyIntegration"/> over the named client
/// <see cref="IntegrationKinds.HttpClientName"/>, behind the route's concurrency limit.
/// </summary>
internal sealed class HttpProxyIntegrationKind(IHttpClientFactory clients, ILogger<HttpProxyIntegration> logger) : IIntegrationKind, IRouteDependentIntegrationKind
{
    /// <summary>The methods an HTTP_PROXY integration can use (API Gateway's IntegrationMethod).</summary>
    public static readonly IReadOnlyList<string> Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        if (integration.HttpMethod is { } method && !Methods.Contains(method.Trim().ToUpperInvariant()))
        {
            yield return new(nameof(integration.HttpMethod), $"'{method}' is not one of {string.Join(", ", Methods)}");
        }

        foreach (var error in HttpIntegrationKind.ValidateUri(integration, IntegrationKinds.HttpProxy)
                     .Concat(RequestParameterMapping.Validate(integration.RequestParameters))
                     .Concat(IntegrationSettingOwners.Validate(integration, IntegrationKinds.HttpProxy))
                     .Concat(ConcurrencyLimitedIntegration.Validate(integration)))
        {
            yield return error;
        }
    }

    /// <summary>
    /// API Gateway maps handshake headers and query parameters only on <c>$connect</c>; a mapping that could never have a
    /// value (an authorizer's value without an authorizer, a body on a route that has none, an undefined stage variable)
    /// is refused rather than silently sending nothing. An authorizer needs its event, which this kind does not send.
    /// </summary>
    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration, IntegrationRouteContext route)
    {
        if (route.IsAuthorizer)
        {
            yield return new(nameof(integration.Type), "an http_proxy integration cannot answer an authorizer: it does not send the authorizer event; use Type http or lambda");
            yield break;
        }

        var isConnect = route.RouteKey == RouteTable.ConnectKey;
        var hasBody = route.RouteKey is not (RouteTable.ConnectKey or RouteTable.DisconnectKey);
        foreach (var (target, source) in RequestParameterMapping.Sources(integration.RequestParameters))
        {
            var key = $"{RequestParameterMapping.SettingName}:{target}";
            var problem = source.Kind switch
            {
                ParameterSourceKind.Header or ParameterSourceKind.QueryString when !isConnect =>
                    $"route.request.header and route.request.querystring are only available on {RouteTable.ConnectKey} (messages carry neither); map context.* or route.request.body.* here",
                ParameterSourceKind.Body when !hasBody => $"{route.RouteKey} has no body; route.request.body is for message routes",
                ParameterSourceKind.Context when source.NeedsAuthorizer && !route.HasConnectAuthorizer =>
                    $"context.authorizer.* comes from a {RouteTable.ConnectKey} authorizer, and none is configured",
                ParameterSourceKind.StageVariable when !route.StageVariables.ContainsKey(source.Name) =>
                    $"refers to stageVariables.{source.Name}, but Switchboard:StageVariables defines no '{source.Name}'{Suggestion.For(source.Name, route.StageVariables.Keys)}",
                _ => null,
            };
            if (problem is not null)
            {
                yield return new(key, problem);
            }
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration) =>
        ConcurrencyLimitedIntegration.Apply(
            new HttpProxyIntegration(
                clients.CreateClient(IntegrationKinds.HttpClientName),
                new HttpMethod(integration.HttpMethod?.Trim().ToUpperInvariant() ?? "POST"),
                new Uri(integration.Uri!),
                integration.Headers,
                RequestParameterMapping.Parse(integration.RequestParameters),
                logger),
            integration,
            $"backend {integration.Uri}");
}
