using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Configuration;
using Switchboard.Sqlite;

namespace Switchboard.Testing;

/// <summary>
/// A real gateway for tests: the library on Kestrel at 127.0.0.1 on a free port, configured from a dictionary
/// of <c>Switchboard:*</c> keys, with a real SQLite file in a temporary folder unless told otherwise.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestGateway(WebApplication app, Uri baseUri, string stage, string? basePath, TemporaryDirectory directory)
    {
        _app = app;
        BaseUri = baseUri;
        Stage = stage;
        _pathPrefix = (basePath ?? stage) is { Length: > 0 } segment ? "/" + segment : "";
        Directory = directory;
    }

    /// <summary>Where the API is mounted: <c>/{stage}</c>, <c>/{Switchboard:BasePath}</c>, or "" at the root.</summary>
    private readonly string _pathPrefix;

    public Uri BaseUri { get; }

    public string Stage { get; }

    public TemporaryDirectory Directory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>ws://127.0.0.1:port/stage (wss:// on an https endpoint; the base path instead of the stage when one is set)</summary>
    public Uri WebSocketUri => new($"{(BaseUri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws")}://{BaseUri.Authority}{(_pathPrefix.Length == 0 ? "/" : _pathPrefix)}");

    /// <summary>http://127.0.0.1:port/stage — what an AWS SDK's endpoint is set to (https:// on an https endpoint; no path at the root).</summary>
    public Uri ManagementEndpoint => new(ManagementBase);

    /// <summary>
    /// <see cref="ManagementEndpoint"/> as text without a trailing slash, to append <c>/@connections</c> to: a
    /// <see cref="Uri"/> with an empty path prints as <c>http://host:port/</c>.
    /// </summary>
    public string ManagementBase => $"{BaseUri.Scheme}://{BaseUri.Authority}{_pathPrefix}";

    public Uri ConnectionUri(string connectionId) => new($"{ManagementBase}/@connections/{Uri.EscapeDataString(connectionId)}");

    /// <summary>Starts a gateway. <paramref name="settings"/> keys are full configuration paths (<c>Switchboard:Routes:0:RouteKey</c>).</summary>
    /// <param name="configureApp">Adds application middleware: runs after path normalization, before routing.</param>
    /// <param name="configureEndpoints">Adds conventions to what <c>MapSwitchboard</c> mapped, as an embedding application would.</param>
    /// <param name="configureBuilder">Changes the host before the gateway is added (e.g. Kestrel's https configuration).</param>
    public static async Task<TestGateway> StartAsync(
        IDictionary<string, string?> settings,
        Action<ISwitchboardBuilder>? configureServices = null,
        bool useSqlite = true,
        TemporaryDirectory? directory = null,
        Action<WebApplication>? configureApp = null,
        Action<SwitchboardEndpointConventionBuilder>? configureEndpoints = null,
        Action<WebApplicationBuilder>? configureBuilder = null)
    {
        directory ??= new TemporaryDirectory();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestLoggerProvider());
        var all = new Dictionary<string, string?>(settings);
        if (useSqlite)
        {
            all.TryAdd("Switchboard:Registry:Sqlite:Path", Path.Combine(directory.Path, "registry.db"));
        }

        // As the executable ships; tests of the HTTP-pipeline handshake set it to false.
        all.TryAdd("Switchboard:Transport:DirectUpgrade", "true");
        builder.Configuration.AddInMemoryCollection(all);
        configureBuilder?.Invoke(builder);
        var switchboard = builder.Services.AddSwitchboard(builder.Configuration);
        if (useSqlite)
        {
            switchboard.AddSqliteRegistry();
        }

        configureServices?.Invoke(switchboard);
        var app = builder.Build();
        app.UseSwitchboardPathNormalization();
        configureApp?.Invoke(app);
        app.UseRouting();
        var endpoints = app.MapSwitchboard();
        configureEndpoints?.Invoke(endpoints);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>().Value;
        return new TestGateway(app, new Uri(address), options.Stage, options.BasePath, directory);
    }

    /// <summary>Opens a client WebSocket; throws <see cref="WebSocketException"/> when the handshake is refused.</summary>
    public async Task<TestClient> ConnectAsync(string query = "", Action<ClientWebSocketOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(new Uri(WebSocketUri + query), cancellationToken);
        return new TestClient(socket);
    }

    /// <summary>Attempts a handshake that must be refused; returns the HTTP status the client saw.</summary>
    public async Task<System.Net.HttpStatusCode> RefusedHandshakeAsync(string query = "", Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var cancellation = new CancellationTokenSource(TestClient.DefaultTimeout);
        var refused = await Xunit.Record.ExceptionAsync(() => socket.ConnectAsync(new Uri(WebSocketUri + query), cancellation.Token));
        return refused is WebSocketException
            ? socket.HttpStatusCode
            : throw new InvalidOperationException($"the handshake was not refused ({refused?.GetType().Name ?? "it connected"})");
    }

    /// <summary>Opens a client and learns its connection id from the management listing (the only new entry).</summary>
    public async Task<(TestClient Client, string ConnectionId)> ConnectAndIdentifyAsync(HttpClient http)
    {
        var before = await ListIdsAsync(http);
        var client = await ConnectAsync();
        var after = await ListIdsAsync(http);
        return (client, after.Except(before).Single());
    }

    public async Task<IReadOnlyList<string>> ListIdsAsync(HttpClient http)
    {
        using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri($"{ManagementBase}/@connections?limit=1000")));
        return document.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("connectionId").GetString()!).ToList();
    }

    /// <summary>Stops the host as SIGTERM would (graceful shutdown).</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Dispose();
    }
}
