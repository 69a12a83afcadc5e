using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Testing;

/// <summary>
/// An HTTP backend on Kestrel (127.0.0.1, free port) standing in for Lambda functions: records every event
/// POSTed to it and answers with what the test set for that path (default <c>{"statusCode":200}</c>).
/// </summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<RecordedEvent> _events = Channel.CreateUnbounded<RecordedEvent>();
    private readonly Dictionary<string, Func<JsonElement, Task<(int HttpStatus, string Body)>>> _responders = new(StringComparer.Ordinal);

    private RecordingBackend(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public Uri UriFor(string path) => new(BaseUri, path);

    public static async Task<RecordingBackend> StartAsync()
    {
        RecordingBackend? backend = null;
        var (app, baseUri) = await LoopbackWebApplication.StartAsync(app =>
        {
            backend = new RecordingBackend(app);
            app.MapPost("/{**path}", backend.HandleAsync);
        });
        backend!.BaseUri = baseUri;
        return backend;
    }

    /// <summary>Answers POSTs to <paramref name="path"/> with a fixed HTTP status and body.</summary>
    public void Respond(string path, int httpStatus, string body) => Respond(path, _ => Task.FromResult((httpStatus, body)));

    /// <summary>Answers POSTs to <paramref name="path"/> with a Lambda-proxy result.</summary>
    public void RespondWithResult(string path, int statusCode, string? body = null, IDictionary<string, string>? headers = null) =>
        Respond(path, 200, JsonSerializer.Serialize(new Dictionary<string, object?> { ["statusCode"] = statusCode, ["body"] = body, ["headers"] = headers }));

    public void Respond(string path, Func<JsonElement, Task<(int HttpStatus, string Body)>> responder)
    {
        lock (_responders)
        {
            _responders[path.TrimStart('/')] = responder;
        }
    }

    /// <summary>
    /// Writes <c>api.json</c> in <paramref name="directory"/> for the real executable: the demo's <c>whoami</c> route and a
    /// <c>$disconnect</c> that posts to this backend's <c>disconnect</c> path; returns its path.
    /// </summary>
    public Task<string> WriteDisconnectDefinitionAsync(string directory) => WriteDefinitionAsync(directory, "$disconnect");

    /// <summary>
    /// Writes <c>api.json</c> in <paramref name="directory"/> for the real executable: the demo's <c>whoami</c> route, and
    /// each of <paramref name="routeKeys"/> as an HTTP integration that posts to this backend's path named after it
    /// without the <c>$</c> (<c>$connect</c> → <c>connect</c>); returns its path.
    /// </summary>
    public async Task<string> WriteDefinitionAsync(string directory, params string[] routeKeys)
    {
        var definition = Path.Combine(directory, "api.json");
        await File.WriteAllTextAsync(definition, JsonSerializer.Serialize(new
        {
            Switchboard = new
            {
                Stage = "production",
                Routes = routeKeys
                    .Select(routeKey => (object)new { RouteKey = routeKey, Integration = new { Type = "http", Uri = UriFor(routeKey.TrimStart('$')).ToString() } })
                    .Prepend(new { RouteKey = "whoami", Integration = new { Type = "inprocess", Handler = "demo.whoami" }, TwoWay = true }),
            },
        }));
        return definition;
    }

    /// <summary>The next event any path received.</summary>
    public async Task<RecordedEvent> NextEventAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        return await _events.Reader.ReadAsync(cancellation.Token);
    }

    /// <summary>The next event whose route key is <paramref name="routeKey"/>, skipping others.</summary>
    public async Task<RecordedEvent> NextEventAsync(string routeKey, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        while (true)
        {
            var recorded = await _events.Reader.ReadAsync(cancellation.Token);
            if (recorded.RouteKey == routeKey)
            {
                return recorded;
            }
        }
    }

    /// <summary>True when an event is waiting (does not wait).</summary>
    public bool TryTakeEvent(out RecordedEvent? recorded) => _events.Reader.TryRead(out recorded);

    private async Task HandleAsync(HttpContext context, string path)
    {
        using var received = new MemoryStream();
        await context.Request.Body.CopyToAsync(received);
        using var document = JsonDocument.Parse(received.ToArray());
        var recorded = new RecordedEvent(path, document.RootElement.Clone(), context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase))
        {
            Json = received.ToArray(),
        };
        await _events.Writer.WriteAsync(recorded);
        Func<JsonElement, Task<(int, string)>>? responder;
        lock (_responders)
        {
            _responders.TryGetValue(path, out responder);
        }

        var (status, body) = responder is null ? (200, "{\"statusCode\":200}") : await responder(recorded.Event);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One event the backend received.</summary>
public sealed record RecordedEvent(string Path, JsonElement Event, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The body as received, for checks that <see cref="JsonElement"/> hides (it keeps duplicate keys silently).</summary>
    public byte[] Json { get; init; } = [];

    public string RouteKey => Event.GetProperty("requestContext").GetProperty("routeKey").GetString()!;

    public JsonElement RequestContext => Event.GetProperty("requestContext");

    public string ConnectionId => RequestContext.GetProperty("connectionId").GetString()!;
}
