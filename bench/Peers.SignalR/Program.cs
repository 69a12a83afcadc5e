using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Peers.SignalR;

// The hub is at /production (clients skip negotiation and open the WebSocket directly, JSON protocol); the HTTP
// endpoints have Switchboard's paths so the load harness drives every server the same way.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration(); // https endpoints from configuration (the harness's --tls)
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddSignalR(options => options.EnableDetailedErrors = false);
builder.Services.AddSingleton<Presence>();

var app = builder.Build();
app.MapHub<BenchHub>("/production", options => options.Transports = HttpTransportType.WebSockets);

app.MapPost("/production/@connections/{connectionId}", async (string connectionId, HttpRequest request, Presence presence, IHubContext<BenchHub> hub) =>
{
    var text = await ReadTextAsync(request);
    if (!presence.Contains(connectionId))
    {
        return Results.StatusCode(StatusCodes.Status410Gone);
    }

    await hub.Clients.Client(connectionId).SendAsync(BenchHub.MessageTarget, text);
    return Results.Ok();
});

// Clients.All completes when every connection's write completed, as SignalR's DefaultHubLifetimeManager does:
// a client that stops reading holds the answer back once its transport buffer is full.
app.MapPost("/production/@broadcast", async (HttpRequest request, Presence presence, IHubContext<BenchHub> hub) =>
{
    var text = await ReadTextAsync(request);
    await hub.Clients.All.SendAsync(BenchHub.MessageTarget, text);
    return Results.Text($"{{\"recipients\":{presence.Count}}}", "application/json");
});

app.MapGet("/production/@stats", (Presence presence) => Results.Text($"{{\"connections\":{presence.Count}}}", "application/json"));
app.Run();

static async Task<string> ReadTextAsync(HttpRequest request)
{
    using var reader = new StreamReader(request.Body);
    return await reader.ReadToEndAsync();
}
