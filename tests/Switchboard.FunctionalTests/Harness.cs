using System.Net.Http.Headers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>A gateway whose <c>$connect</c>, <c>$disconnect</c> and <c>$default</c> routes are recorded in process.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private Harness(TestGateway gateway, RouteEventRecorder recorder)
    {
        Gateway = gateway;
        Recorder = recorder;
    }

    public TestGateway Gateway { get; }

    public RouteEventRecorder Recorder { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <param name="settings">Configuration keys applied over the routes.</param>
    /// <param name="configure">More services.</param>
    /// <param name="directUpgrade">Which layer answers handshakes (docs/configuration.md, Transport).</param>
    /// <param name="endpoints">Conventions an embedding application adds to what <c>MapSwitchboard</c> mapped.</param>
    public static async Task<Harness> StartAsync(
        Dictionary<string, string?>? settings = null,
        Action<ISwitchboardBuilder>? configure = null,
        bool directUpgrade = true,
        Action<SwitchboardEndpointConventionBuilder>? endpoints = null)
    {
        var recorder = new RouteEventRecorder();
        var all = new Dictionary<string, string?> { ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false" };
        string[] routeKeys = ["$connect", "$disconnect", "$default"];
        for (var i = 0; i < routeKeys.Length; i++)
        {
            all[$"Switchboard:Routes:{i}:RouteKey"] = routeKeys[i];
            all[$"Switchboard:Routes:{i}:Integration:Type"] = "inprocess";
            all[$"Switchboard:Routes:{i}:Integration:Handler"] = "recorder";
        }

        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var gateway = await TestGateway.StartAsync(all, services =>
        {
            services.AddRouteHandler("recorder", recorder.HandleAsync);
            configure?.Invoke(services);
        }, configureEndpoints: endpoints);
        return new Harness(gateway, recorder);
    }

    /// <summary>Connects a client and learns its id from the <c>$connect</c> event.</summary>
    public async Task<(TestClient Client, string ConnectionId)> ConnectAsync(Action<ClientWebSocketOptions>? configure = null)
    {
        var client = await Gateway.ConnectAsync(configure: configure);
        return (client, (await Recorder.NextAsync("$connect")).ConnectionId);
    }

    public Uri Url(string pathAndQuery) => new($"{Gateway.ManagementBase}{pathAndQuery}");

    public Task<HttpResponseMessage> PostAsync(string id, byte[] body) => PostAsync(id, new ByteArrayContent(body));

    public Task<HttpResponseMessage> PostAsync(string id, HttpContent body)
    {
        body.Headers.ContentType ??= new MediaTypeHeaderValue("application/octet-stream"); // as AWS SDK v3 sends it
        return Http.PostAsync(Gateway.ConnectionUri(id), body);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
    }
}
