using Switchboard.Events;

namespace Switchboard.Integrations.InProcess;

/// <summary>Invokes an <see cref="IWebSocketRouteHandler"/> registered in DI.</summary>
internal sealed class InProcessIntegration(string handlerName, IWebSocketRouteHandler handler) : IRouteIntegration
{
    public async ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        try
        {
            var response = await handler.HandleAsync(routeEvent, cancellationToken).ConfigureAwait(false);
            return response is null
                ? IntegrationResult.Failure($"handler '{handlerName}' returned null")
                : IntegrationResult.Success(response);
        }
#pragma warning disable CA1031 // A handler's exception is a failed integration, reported to the client as API Gateway does.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return IntegrationResult.Failure($"handler '{handlerName}' threw {exception.GetType().Name}: {exception.Message}");
        }
    }
}
