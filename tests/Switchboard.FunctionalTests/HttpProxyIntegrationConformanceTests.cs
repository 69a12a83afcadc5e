using Microsoft.AspNetCore.Http;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The contract for <c>http_proxy</c> integrations: a real backend on Kestrel receiving the message itself. It learns the
/// event's requestId only through a mapping, as on API Gateway. Its usual failure is a dropped connection: any HTTP
/// status is an answer, passed through.
/// </summary>
public sealed class HttpProxyIntegrationConformanceTests : RemoteIntegrationConformanceTests
{
    private const string RequestIdHeader = "x-request-id";
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProxyBackend _backend = null!;

    public override async Task InitializeAsync() => _backend = await ProxyBackend.StartAsync();

    public override async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _backend.DisposeAsync();
    }

    protected override void AddIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "http_proxy";
        settings[$"{prefix}:Uri"] = _backend.UriFor(RouteKey).ToString();
        settings[$"{prefix}:RequestParameters:integration.request.header.{RequestIdHeader}"] = "context.requestId";
    }

    protected override void AnswerWithBody(string body) => _backend.Answer(200, body);

    /// <summary>The backend drops the connection without answering.</summary>
    protected override void Fail(TaskCompletionSource<string> requestId) => _backend.Answer((request, context) =>
    {
        requestId.TrySetResult(request.Headers[RequestIdHeader]);
        context.Abort();
        return Task.CompletedTask;
    });

    protected override void AddUnreachableIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "http_proxy";
        settings[$"{prefix}:Uri"] = $"http://127.0.0.1:{ServerProcess.FreePort()}/{RouteKey}";
    }

    /// <summary>200 with <see cref="RemoteIntegrationConformanceTests.HugeBody"/>, written without a Content-Length (chunked).</summary>
    protected override void AnswerHuge(TaskCompletionSource<string> requestId) => _backend.Answer(async (request, context) =>
    {
        requestId.TrySetResult(request.Headers[RequestIdHeader]);
        await context.Response.WriteAsync(HugeBody);
    });

    protected override void Hang(TaskCompletionSource<string> entered) => _backend.Answer(async (request, context) =>
    {
        entered.TrySetResult(request.Headers[RequestIdHeader]);
        await _release.Task;
        await context.Response.WriteAsync("too late");
    });
}
