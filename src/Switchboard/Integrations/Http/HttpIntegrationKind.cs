using Switchboard.Configuration;

namespace Switchboard.Integrations.Http;

/// <summary>The <c>http</c> kind: <see cref="HttpIntegration"/> over the named client <see cref="IntegrationKinds.HttpClientName"/>.</summary>
internal sealed class HttpIntegrationKind(IHttpClientFactory clients) : IIntegrationKind
{
    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        if (string.IsNullOrWhiteSpace(integration.Uri))
        {
            yield return new(nameof(integration.Uri), "is required for an http integration");
        }
        else if (!Uri.TryCreate(integration.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new(nameof(integration.Uri), $"'{integration.Uri}' is not an absolute http or https URL");
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration) =>
        new HttpIntegration(clients.CreateClient(IntegrationKinds.HttpClientName), new Uri(integration.Uri!), integration.Headers);
}
