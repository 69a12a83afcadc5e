using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Server;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The executable's application (<see cref="GatewayHost.Build"/>: its configuration layering, health endpoints and
/// exporters) run in the test process on a free loopback port with the demo definition and a SQLite file in a temporary
/// folder — for what needs the host itself but also a hand on it: stopping it while a connection is open.
/// </summary>
internal sealed class GatewayHostInstance : IAsyncDisposable
{
    private GatewayHostInstance(WebApplication app, TemporaryDirectory directory, Uri baseUri)
    {
        App = app;
        Directory = directory;
        BaseUri = baseUri;
    }

    public WebApplication App { get; }

    public TemporaryDirectory Directory { get; }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseUri { get; }

    /// <summary>Starts the host; <paramref name="settings"/> are configuration keys (<c>Switchboard:Limits:MaxConnections</c>) and values.</summary>
    public static async Task<GatewayHostInstance> StartAsync(IDictionary<string, string> settings)
    {
        var directory = new TemporaryDirectory();
        var all = new Dictionary<string, string>(settings);
        all.TryAdd("Switchboard:Registry:Sqlite:Path", Path.Combine(directory.Path, "registry.db"));
        all.TryAdd("Logging:LogLevel:Default", "Warning");
        string[] args = ["--urls", "http://127.0.0.1:0", .. all.Select(setting => $"--{setting.Key}={setting.Value}")];
        var app = GatewayHost.Build(args);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new GatewayHostInstance(app, directory, new Uri(address + "/"));
    }

    public Uri WebSocketUri(string path) => new($"ws://{BaseUri.Authority}{path}");

    /// <summary>Stops the host (closing its connections, as on SIGTERM) before disposing it: disposing alone would tear the registry down under connections still open.</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Dispose();
    }
}
