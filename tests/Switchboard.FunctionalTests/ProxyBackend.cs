using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// An HTTP backend on Kestrel (127.0.0.1, free port) for <c>http_proxy</c> routes: records every request as it arrived
/// (method, path, query, headers, body) and answers with what the test set (default: an empty 200).
/// </summary>
internal sealed class ProxyBackend : IAsyncDisposable
{
    private readonly Channel<ProxiedRequest> _requests = Channel.CreateUnbounded<ProxiedRequest>();
    private WebApplication _app = null!;
    private Func<ProxiedRequest, HttpContext, Task> _answer = static (_, _) => Task.CompletedTask;

    public Uri BaseUri { get; private set; } = null!;

    public Uri UriFor(string path) => new(BaseUri, path);

    public static async Task<ProxyBackend> StartAsync()
    {
        var backend = new ProxyBackend();
        (backend._app, backend.BaseUri) = await LoopbackWebApplication.StartAsync(app => app.Map("/{**path}", backend.HandleAsync));
        return backend;
    }

    /// <summary>From now on every request is answered with <paramref name="status"/>, <paramref name="body"/> and <paramref name="headers"/>.</summary>
    public void Answer(int status, string? body = null, IReadOnlyDictionary<string, string>? headers = null) => Answer(async (_, context) =>
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (body is not null)
        {
            await context.Response.WriteAsync(body);
        }
    });

    /// <summary>From now on every request is answered by <paramref name="answer"/> (after it is recorded).</summary>
    public void Answer(Func<ProxiedRequest, HttpContext, Task> answer) => Volatile.Write(ref _answer, answer);

    public async Task<ProxiedRequest> NextRequestAsync()
    {
        using var cancellation = new CancellationTokenSource(TestClient.DefaultTimeout);
        return await _requests.Reader.ReadAsync(cancellation.Token);
    }

    /// <summary>True when a request is waiting (does not wait).</summary>
    public bool TryTakeRequest(out ProxiedRequest? request) => _requests.Reader.TryRead(out request);

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = new ProxiedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.Query.ToDictionary(parameter => parameter.Key, parameter => parameter.Value.ToString(), StringComparer.Ordinal),
            context.Request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Encoding.UTF8.GetString(body.ToArray()));
        await _requests.Writer.WriteAsync(request);
        await Volatile.Read(ref _answer)(request, context);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the backend received it.</summary>
internal sealed record ProxiedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, string Body);
