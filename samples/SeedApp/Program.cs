using SeedApp;

// The seed app: API Gateway's $connect / $disconnect / "send" Lambda functions as in-process handlers of an
// ASP.NET Core application that embeds Switchboard. See README.md.
var app = SeedAppHost.Build(args);
await app.RunAsync();
