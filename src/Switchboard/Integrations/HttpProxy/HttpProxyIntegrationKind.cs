using Switchboard.Configuration;
using Switchboard.Integrations.Http;

namespace Switchboard.Integrations.HttpProxy;

/// <summary>
/// The <c>http_proxy</c> kind: <see cref="HttpProxyIntegration"/> over the named client
/// <see cref="IntegrationKinds.HttpClientName"/>, behind the route's concurrency limit. What depends on the route
/// (header and query sources only on <c>$connect</c>, authorizer values only with an authorizer, defined stage
/// variables) is checked by <see cref="RequestParametersValidation"/>.
/// </summary>
internal sealed class HttpProxyIntegrationKind(IHttpClientFactory clients) : IIntegrationKind
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

    public IRouteIntegration Create(IntegrationOptions integration) =>
        ConcurrencyLimitedIntegration.Apply(
            new HttpProxyIntegration(
                clients.CreateClient(IntegrationKinds.HttpClientName),
                new HttpMethod(integration.HttpMethod?.Trim().ToUpperInvariant() ?? "POST"),
                new Uri(integration.Uri!),
                integration.Headers,
                RequestParameterMapping.Parse(integration.RequestParameters)),
            integration,
            $"backend {integration.Uri}");
}
