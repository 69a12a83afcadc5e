using Switchboard.Events;

namespace Switchboard.Integrations.InProcess;

/// <summary>
/// A .NET route handler running inside the gateway process — the in-process counterpart of a Lambda
/// function behind a route. Register it with <c>services.AddRouteHandler&lt;T&gt;("name")</c> and refer to it
/// from a route as <c>{ "Type": "inprocess", "Handler": "name" }</c>.
/// </summary>
/// <remarks>
/// One instance serves all connections concurrently. Throwing gives the client API Gateway's
/// "Internal server error" frame (or 502 on <c>$connect</c>); honour the token, which is cancelled at the
/// integration timeout. To send to connections, inject <see cref="Management.ConnectionManager"/>.
/// </remarks>
public interface IWebSocketRouteHandler
{
    /// <summary>Handles one event.</summary>
    ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken);
}
