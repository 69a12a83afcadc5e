using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The Lambda Invoke API (<c>POST /2015-03-31/functions/{name}/invocations</c>) on Kestrel, answering as the test
/// says — in the shapes real Lambda and its emulators use — and recording every invocation it receives.
/// </summary>
public sealed class LambdaInvokeApi : IAsyncDisposable
{
    private readonly Microsoft.AspNetCore.Builder.WebApplication _app;
    private readonly ConcurrentQueue<Invocation> _invocations = new();
    private Func<Invocation, Task<InvokeAnswer>> _answer = _ => Task.FromResult(InvokeAnswer.Result(200));
    private int _running;
    private int _maxRunning;

    private LambdaInvokeApi(Microsoft.AspNetCore.Builder.WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyCollection<Invocation> Invocations => _invocations;

    /// <summary>The most invocations that were running at the same moment.</summary>
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public static async Task<LambdaInvokeApi> StartAsync()
    {
        LambdaInvokeApi? api = null;
        var (app, baseUri) = await LoopbackWebApplication.StartAsync(app =>
        {
            api = new LambdaInvokeApi(app);
            app.MapPost("/2015-03-31/functions/{name}/invocations", api.InvokeAsync);
        });
        api!.BaseUri = baseUri;
        return api;
    }

    /// <summary>From now on every invocation is answered by <paramref name="answer"/>.</summary>
    public void Answer(Func<Invocation, Task<InvokeAnswer>> answer) => Volatile.Write(ref _answer, answer);

    public void Answer(InvokeAnswer answer) => Answer(_ => Task.FromResult(answer));

    private async Task InvokeAsync(HttpContext context, string name)
    {
        var running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var invocation = new Invocation(
                name,
                context.Request.Query["Qualifier"].ToString(),
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray());
            _invocations.Enqueue(invocation);
            var answer = await Volatile.Read(ref _answer)(invocation);
            context.Response.StatusCode = answer.Status;
            foreach (var (header, value) in answer.Headers)
            {
                context.Response.Headers[header] = value;
            }

            await context.Response.WriteAsync(answer.Body);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One call the Invoke API received.</summary>
public sealed record Invocation(string FunctionName, string Qualifier, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public JsonElement Event => JsonDocument.Parse(Body).RootElement.Clone();

    public string RequestId => Event.GetProperty("requestContext").GetProperty("requestId").GetString()!;
}

/// <summary>What the Invoke API answers.</summary>
public sealed record InvokeAnswer(int Status, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>A Lambda-proxy result, as a function that returned it (200, application/json).</summary>
    public static InvokeAnswer Result(int statusCode, string? body = null) => new(
        200,
        JsonSerializer.Serialize(new Dictionary<string, object?> { ["statusCode"] = statusCode, ["body"] = body }),
        new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Amz-Executed-Version"] = "$LATEST" });

    /// <summary>
    /// Every shape in which real Lambda and the emulators report a failed invocation
    /// (../shared/reference/integrations-and-authorizers.md, "The Lambda Invoke API").
    /// </summary>
    public static readonly IReadOnlyDictionary<string, InvokeAnswer> FunctionErrors = new Dictionary<string, InvokeAnswer>
    {
        // Real Lambda (and LocalStack): 200, the error in a header and an error body.
        ["handled"] = new(200, """{"errorType":"Error","errorMessage":"lambda-error-message-7f3","trace":["Error: lambda-error-message-7f3","    at handler (/var/task/index.js:3:9)"]}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Amz-Function-Error"] = "Handled", ["X-Amz-Executed-Version"] = "$LATEST" }),
        ["unhandled"] = new(200, """{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 6f3c Error: Runtime exited with error: exit status 1"}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Amz-Function-Error"] = "Unhandled" }),
        // Real Lambda's timeout: Unhandled, and a body that still looks like an error.
        ["lambda timeout"] = new(200, """{"errorMessage":"2026-12-03T08:30:00.000Z 6f3c Task timed out after 3.00 seconds"}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Amz-Function-Error"] = "Unhandled" }),
        // The runtime interface emulator: 200 with the error body and no header.
        ["emulator error body"] = new(200, """{"errorType":"TypeError","errorMessage":"Cannot read properties of undefined (reading 'id')","trace":[]}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json" }),
        // The runtime interface emulator's timeout: plain text.
        ["emulator timeout"] = new(200, "Task timed out after 1.00 seconds", new Dictionary<string, string>()),
        // The runtime interface emulator when the runtime crashed: an empty body.
        ["empty body"] = new(200, "", new Dictionary<string, string>()),
        // The Lambda service refusing the call.
        ["service 404"] = new(404, """{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:chat"}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["x-amzn-ErrorType"] = "ResourceNotFoundException" }),
        ["service 429"] = new(429, """{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["x-amzn-ErrorType"] = "TooManyRequestsException" }),
        // serverless-offline's Lambda port: 500 for a throwing handler.
        ["serverless-offline 500"] = new(500, """{"errorMessage":"lambda-error-message-7f3","errorType":"Error","stackTrace":[]}""",
            new Dictionary<string, string> { ["Content-Type"] = "application/json" }),
    };
}
