using Switchboard.Events;

namespace Switchboard.Integrations.InProcess;

/// <summary>Adapts a delegate to <see cref="IWebSocketRouteHandler"/>.</summary>
internal sealed class DelegateRouteHandler(Func<RouteEvent, CancellationToken, ValueTask<RouteResponse>> handler) : IWebSocketRouteHandler
{
    public ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
        handler(routeEvent, cancellationToken);
}
