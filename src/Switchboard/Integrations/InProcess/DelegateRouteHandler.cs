using Switchboard.Events;

namespace Switchboard.Integrations.InProcess;

/// <summary>Adapts a delegate to <see cref="IRouteHandler"/>.</summary>
internal sealed class DelegateRouteHandler(Func<RouteEvent, CancellationToken, ValueTask<RouteResponse>> handler) : IRouteHandler
{
    public ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
        handler(routeEvent, cancellationToken);
}
