using Peers.RawKestrel;

// The same paths as Switchboard (/production, /production/@connections/{id}, /production/@broadcast, /production/@stats)
// so the load harness drives every server the same way. Logging at Warning, as the harness runs every server.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration(); // https endpoints from configuration (the harness's --tls)
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddSingleton<SocketRegistry>();

var app = builder.Build();
app.UseWebSockets();
var registry = app.Services.GetRequiredService<SocketRegistry>();
app.Map("/production", registry.AcceptAsync);
app.MapPost("/production/@connections/{connectionId}", registry.PostAsync);
app.MapPost("/production/@broadcast", registry.BroadcastAsync);
app.MapGet("/production/@stats", () => Results.Text($"{{\"connections\":{registry.Count}}}", "application/json"));
app.Run();
