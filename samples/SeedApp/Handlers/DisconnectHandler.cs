using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

namespace SeedApp.Handlers;

/// <summary><c>$disconnect</c>: deletes the connection's item from the <c>webSocketConnection</c> table.</summary>
public sealed class DisconnectHandler(ConnectionTable table) : IWebSocketRouteHandler
{
    public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(routeEvent);
        await table.DeleteAsync(routeEvent.ConnectionId, cancellationToken).ConfigureAwait(false);
        return RouteResponse.WithBody("Disconnected.");
    }
}
