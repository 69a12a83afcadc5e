using Switchboard.Configuration;

namespace Switchboard.Integrations.Http;

/// <summary>The <c>http</c> kind: <see cref="HttpIntegration"/> over the named client <see cref="IntegrationKinds.HttpClientName"/>, behind the route's concurrency limit.</summary>
internal sealed class HttpIntegrationKind(IHttpClientFactory clients) : IIntegrationKind
{
    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration) =>
        ValidateUri(integration, IntegrationKinds.Http)
            .Concat(IntegrationSettingOwners.Validate(integration, IntegrationKinds.Http))
            .Concat(ConcurrencyLimitedIntegration.Validate(integration));

    /// <summary>The checks of <c>Uri</c> shared by the kinds that call a URL: required, absolute http(s), not the Lambda Invoke API's.</summary>
    internal static IEnumerable<IntegrationSettingError> ValidateUri(IntegrationOptions integration, string kind)
    {
        if (string.IsNullOrWhiteSpace(integration.Uri))
        {
            yield return new(nameof(integration.Uri), $"is required for an {kind} integration");
        }
        else if (!Uri.TryCreate(integration.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new(nameof(integration.Uri), $"'{integration.Uri}' is not an absolute http or https URL");
        }
        else if (uri.AbsolutePath.Contains("/2015-03-31/functions/", StringComparison.Ordinal))
        {
            yield return new(nameof(integration.Uri), "is a Lambda Invoke API URL: use Type lambda with Endpoint (the part before /2015-03-31) and FunctionName, which signs the call and reads function errors as Lambda reports them");
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration) =>
        ConcurrencyLimitedIntegration.Apply(
            new HttpIntegration(clients.CreateClient(IntegrationKinds.HttpClientName), new Uri(integration.Uri!), integration.Headers),
            integration,
            $"backend {integration.Uri}");
}
