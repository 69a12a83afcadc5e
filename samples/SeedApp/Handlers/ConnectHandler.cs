using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

namespace SeedApp.Handlers;

/// <summary>
/// <c>$connect</c>: puts <c>{ connectionId }</c> into the <c>webSocketConnection</c> table. Like the Lambda function,
/// a failure refuses the connection (the gateway answers the handshake with 502).
/// </summary>
public sealed class ConnectHandler(ConnectionTable table) : IWebSocketRouteHandler
{
    public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(routeEvent);
        await table.PutAsync(routeEvent.ConnectionId, cancellationToken).ConfigureAwait(false);
        return RouteResponse.WithBody("Connected.");
    }
}
