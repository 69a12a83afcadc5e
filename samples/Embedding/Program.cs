using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSwitchboard(builder.Configuration) // binds the "Switchboard" section: stage, routes, limits
    .AddSqliteRegistry()                               // or AddRedisScaleOut() for a cluster, or nothing: in-memory
    .AddRouteHandler<EchoHandler>("echo");             // what a route's "Handler": "echo" runs

var app = builder.Build();
app.MapSwitchboard();                                  // /{stage} and /{stage}/@connections
app.Run();

// Answers each message with its own body (on a two-way route).
sealed class EchoHandler : IWebSocketRouteHandler
{
    public ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RouteResponse.WithBody(routeEvent.Body ?? ""));
}
