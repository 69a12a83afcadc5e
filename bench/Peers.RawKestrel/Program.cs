using Peers.RawKestrel;

// The same paths as Switchboard (/production, /production/@connections/{id}, /production/@broadcast, /production/@stats)
// so the load harness drives every server the same way. Logging at Warning, as the harness runs every server.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration(); // https endpoints from configuration (the harness's --tls)
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
// ConnectCall=URI: POST to that backend on every connect and accept only on 200 (the harness's raw-http-connect).
builder.Services.AddSingleton(provider => new SocketRegistry(
    provider.GetRequiredService<IConfiguration>()["ConnectCall"] is { Length: > 0 } backend ? new ConnectCall(new Uri(backend)) : null));

var app = builder.Build();
app.UseWebSockets();
var registry = app.Services.GetRequiredService<SocketRegistry>();
app.Map("/production", registry.AcceptAsync);
app.MapPost("/production/@connections/{connectionId}", registry.PostAsync);
app.MapPost("/production/@broadcast", registry.BroadcastAsync);
// The backend of the http-connect servers: what a $connect function that accepts everyone answers.
app.MapPost("/backend/connect", static async (HttpRequest request) =>
{
    await request.Body.CopyToAsync(Stream.Null);
    return Results.Text("{\"statusCode\":200}", "application/json");
});
app.MapGet("/production/@stats", () => Results.Text($"{{\"connections\":{registry.Count}}}", "application/json"));
app.Run();
