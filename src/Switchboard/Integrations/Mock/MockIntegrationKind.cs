using Switchboard.Configuration;

namespace Switchboard.Integrations.Mock;

/// <summary>
/// The <c>mock</c> kind: <c>StatusCode</c> (default 200) and an optional <c>Body</c>. On <c>$connect</c> a non-2xx status
/// refuses every handshake with it; on a two-way route the body is every message's reply.
/// </summary>
internal sealed class MockIntegrationKind : IIntegrationKind
{
    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        if (integration.StatusCode is { } status and (< 200 or > 599))
        {
            yield return new(nameof(integration.StatusCode), $"{status} is outside 200 to 599 (a 2xx accepts, any other refuses a $connect with it)");
        }

        foreach (var error in IntegrationSettingOwners.Validate(integration, IntegrationKinds.Mock))
        {
            yield return error;
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration) =>
        new MockIntegration(new RouteResponse { StatusCode = integration.StatusCode ?? 200, Body = integration.Body });
}
