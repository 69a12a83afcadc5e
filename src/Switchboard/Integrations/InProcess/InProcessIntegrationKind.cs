using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;

namespace Switchboard.Integrations.InProcess;

/// <summary>The <c>inprocess</c> kind: the <see cref="IWebSocketRouteHandler"/> registered under the route's <c>Handler</c> name.</summary>
internal sealed class InProcessIntegrationKind(IServiceProvider services) : IIntegrationKind
{
    public IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        if (string.IsNullOrWhiteSpace(integration.Handler))
        {
            yield return new(nameof(integration.Handler), "is required for an inprocess integration");
        }
        else if (services.GetService<IServiceProviderIsKeyedService>() is { } handlers
                 && !handlers.IsKeyedService(typeof(IWebSocketRouteHandler), integration.Handler))
        {
            var registered = services.GetServices<RouteHandlerName>().Select(handler => handler.Name);
            yield return new(nameof(integration.Handler), $"no route handler named '{integration.Handler}' is registered (AddRouteHandler){Suggestion.For(integration.Handler, registered)}");
        }

        foreach (var error in IntegrationSettingOwners.Validate(integration, IntegrationKinds.InProcess))
        {
            yield return error;
        }
    }

    public IRouteIntegration Create(IntegrationOptions integration) =>
        new InProcessIntegration(integration.Handler!, services.GetRequiredKeyedService<IWebSocketRouteHandler>(integration.Handler));
}
