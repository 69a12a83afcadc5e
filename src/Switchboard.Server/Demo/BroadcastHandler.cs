using System.Text;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;
using Switchboard.Management;

namespace Switchboard.Server.Demo;

/// <summary>The demo's <c>sendmessage</c> route: sends the message's <c>data</c> to every open connection.</summary>
internal sealed class BroadcastHandler(ConnectionManager connections) : IWebSocketRouteHandler
{
    public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        await connections.BroadcastAsync(Encoding.UTF8.GetBytes(DemoHandlers.DataOrBody(routeEvent)), cancellationToken).ConfigureAwait(false);
        return RouteResponse.Ok;
    }
}
