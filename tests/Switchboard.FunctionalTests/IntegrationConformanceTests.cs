using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The <see cref="IRouteIntegration"/> contract, run against every integration kind: what the client sees when the
/// backend answers, fails or does not answer in time (docs/aws-compatibility.md, "Routes and messages"), on a message
/// route and on <c>$connect</c>.
/// </summary>
/// <remarks>
/// Adding a kind is one sealed subclass: <see cref="AddIntegration"/> (its settings), <see cref="AnswerWithBody"/>,
/// <see cref="Fail"/>, <see cref="Hang"/>, and <see cref="FailureShapes"/> when the kind fails in more than one way.
/// Kinds that call a backend over the network derive from <see cref="RemoteIntegrationConformanceTests"/> instead,
/// which adds the unreachable backend, the huge answer and the concurrency limit.
/// </remarks>
public abstract partial class IntegrationConformanceTests : IAsyncLifetime
{
    protected const string RouteKey = "probe";
    protected const string Message = "{\"action\":\"probe\"}";

    /// <summary>The probe route's timeout; distinct from every other timer the gateway arms (1 s sweep, 5 s close).</summary>
    protected static readonly TimeSpan RouteTimeout = TimeSpan.FromSeconds(7);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Adds the probe route's integration keys (<c>Type</c> and <c>Uri</c> or <c>Handler</c>) under <paramref name="prefix"/>.</summary>
    protected abstract void AddIntegration(IDictionary<string, string?> settings, string prefix);

    protected virtual void ConfigureServices(ISwitchboardBuilder services)
    {
    }

    /// <summary>From now on the backend answers 200 with <paramref name="body"/>.</summary>
    protected abstract void AnswerWithBody(string body);

    /// <summary>From now on the backend fails in this kind's usual way, reporting the event's requestId first.</summary>
    protected abstract void Fail(TaskCompletionSource<string> requestId);

    /// <summary>From now on the backend never answers (until the test ends), reporting the event's requestId on entry.</summary>
    protected abstract void Hang(TaskCompletionSource<string> entered);

    /// <summary>
    /// Every way this kind's backend can fail, by name; each arranges, like <see cref="Fail"/>, that from now on the
    /// backend fails that way and reports the event's requestId first. By default only <see cref="Fail"/>.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, Action<TaskCompletionSource<string>>> FailureShapes() =>
        new Dictionary<string, Action<TaskCompletionSource<string>>> { ["usual"] = Fail };

    /// <summary>Text the failure shapes put in their answers that must never reach the gateway's log (the function's own error message).</summary>
    protected virtual string? NeverLogged => null;

    /// <summary>Sends <see cref="Message"/> to an integration that never answers; returns once its timeout timer is armed.</summary>
    private async Task<string> SendToHangingIntegrationAsync(TestClient client, ObservableFakeTimeProvider time)
    {
        var entered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Hang(entered);
        var timersBefore = time.TimersCreated(RouteTimeout);

        await client.SendTextAsync(Message);
        var requestId = await entered.Task.WaitAsync(TestClient.DefaultTimeout);
        await time.WaitForTimerAsync(RouteTimeout, timersBefore + 1);
        return requestId;
    }

    /// <summary>A gateway whose probe route (or <paramref name="routeKey"/>) calls this kind; <paramref name="integration"/> adds integration keys.</summary>
    protected async Task<TestGateway> StartGatewayAsync(
        bool twoWay = true,
        TimeProvider? time = null,
        string routeKey = RouteKey,
        IReadOnlyDictionary<string, string?>? integration = null,
        Action<IDictionary<string, string?>, string>? addIntegration = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = routeKey,
            ["Switchboard:Routes:0:TwoWay"] = twoWay ? "true" : "false",
            ["Switchboard:Routes:0:Integration:Timeout"] = RouteTimeout.ToString(),
        };
        (addIntegration ?? AddIntegration)(settings, "Switchboard:Routes:0:Integration");
        foreach (var (key, value) in integration ?? new Dictionary<string, string?>())
        {
            settings[$"Switchboard:Routes:0:Integration:{key}"] = value;
        }

        return await TestGateway.StartAsync(settings, services =>
        {
            ConfigureServices(services);
            if (time is not null)
            {
                services.Services.Replace(ServiceDescriptor.Singleton(time));
            }
        });
    }

    [Fact]
    public async Task TwoWayRoute_SendsTheIntegrationsBodyToTheClient()
    {
        await using var gateway = await StartGatewayAsync();
        AnswerWithBody("pong ✓ \"quoted\"");
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync(Message);

        Assert.Equal("pong ✓ \"quoted\"", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FailingIntegration_SendsInternalServerErrorWithTheEventsRequestId_LogsIt_AndKeepsTheConnection(bool twoWay)
    {
        await using var gateway = await StartGatewayAsync(twoWay);
        await AssertFailureAsync(gateway, Fail);
    }

    [Fact]
    public async Task EveryFailureShape_OnAMessage_IsTheInternalServerErrorFrame()
    {
        await using var gateway = await StartGatewayAsync();
        foreach (var (shape, arrange) in FailureShapes())
        {
            await ForShapeAsync(shape, () => AssertFailureAsync(gateway, arrange));
        }

        if (NeverLogged is { } secret)
        {
            Assert.DoesNotContain(TestLoggerProvider.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ConnectRoute_AcceptsTheConnection_WhenTheIntegrationAnswers()
    {
        await using var gateway = await StartGatewayAsync(routeKey: "$connect");
        AnswerWithBody("Connected.");

        await using var client = await gateway.ConnectAsync();

        Assert.Equal(System.Net.HttpStatusCode.SwitchingProtocols, client.Socket.HttpStatusCode);
    }

    [Fact]
    public async Task EveryFailureShape_OnConnect_Refuses502_AndLeavesNoConnection()
    {
        await using var gateway = await StartGatewayAsync(routeKey: "$connect");
        using var http = new HttpClient();
        foreach (var (shape, arrange) in FailureShapes())
        {
            await ForShapeAsync(shape, async () =>
            {
                var called = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                arrange(called);

                Assert.Equal(System.Net.HttpStatusCode.BadGateway, await gateway.RefusedHandshakeAsync());
                await called.Task.WaitAsync(TestClient.DefaultTimeout);
                Assert.Empty(await gateway.ListIdsAsync(http));
            });
        }
    }

    /// <summary>Runs one failure shape's checks; a failed check names the shape.</summary>
    protected static async Task ForShapeAsync(string shape, Func<Task> check)
    {
        try
        {
            await check();
        }
        catch (Exception exception) when (exception is Xunit.Sdk.XunitException or TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"failure shape '{shape}': {exception.Message}");
        }
    }

    [Fact]
    public async Task SlowIntegration_SendsEndpointRequestTimedOutWithTheEventsRequestId_AndKeepsTheConnection()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartGatewayAsync(time: time);
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;
        var requestId = await SendToHangingIntegrationAsync(client, time);
        time.Advance(RouteTimeout);

        Assert.Equal(ErrorFrame("Endpoint request timed out", connectionId, requestId), await client.ReceiveTextAsync());
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains(requestId, StringComparison.Ordinal) && line.Contains("timed out", StringComparison.Ordinal));

        AnswerWithBody("still connected");
        await client.SendTextAsync(Message);
        Assert.Equal("still connected", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task SlowIntegration_OnConnect_Refuses504()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartGatewayAsync(time: time, routeKey: "$connect");
        var entered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Hang(entered);
        var timersBefore = time.TimersCreated(RouteTimeout);

        var refused = gateway.RefusedHandshakeAsync();
        await entered.Task.WaitAsync(TestClient.DefaultTimeout);
        await time.WaitForTimerAsync(RouteTimeout, timersBefore + 1);
        time.Advance(RouteTimeout);

        Assert.Equal(System.Net.HttpStatusCode.GatewayTimeout, await refused);
    }

    [Fact]
    public async Task IntegrationStillRunningJustBeforeTheTimeout_IsNotTimedOut_UntilTheTimeoutIsReached()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartGatewayAsync(time: time);
        await using var client = await gateway.ConnectAsync();
        var requestId = await SendToHangingIntegrationAsync(client, time);
        time.Advance(RouteTimeout - TimeSpan.FromMilliseconds(1));
        AnswerWithBody("in time");
        await client.SendTextAsync(Message);

        // The hanging call has not timed out yet: the next frame is the second call's answer.
        Assert.Equal("in time", await client.ReceiveTextAsync());

        time.Advance(TimeSpan.FromMilliseconds(1));
        var timedOut = await client.ReceiveTextAsync();
        Assert.StartsWith("{\"message\": \"Endpoint request timed out\"", timedOut);
        Assert.EndsWith($"\"requestId\":\"{requestId}\"}}", timedOut);
    }

    /// <summary>Sends a message that fails in the way <paramref name="arrange"/> sets up and checks everything the contract says about it.</summary>
    protected static async Task AssertFailureAsync(TestGateway gateway, Action<TaskCompletionSource<string>> arrange)
    {
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        arrange(first);

        await client.SendTextAsync(Message);

        var frame = await client.ReceiveTextAsync();
        var requestId = await first.Task.WaitAsync(TestClient.DefaultTimeout);
        Assert.Matches(IdShape(), requestId);
        Assert.Equal(ErrorFrame("Internal server error", connectionId, requestId), frame);
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains(requestId, StringComparison.Ordinal) && line.Contains("failed", StringComparison.Ordinal));

        // The connection is still usable, and the next failure carries the next event's requestId.
        var second = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        arrange(second);
        await client.SendTextAsync(Message);
        frame = await client.ReceiveTextAsync();
        var nextRequestId = await second.Task.WaitAsync(TestClient.DefaultTimeout);
        Assert.NotEqual(requestId, nextRequestId);
        Assert.Equal(ErrorFrame("Internal server error", connectionId, nextRequestId), frame);
    }

    protected static string ErrorFrame(string message, string connectionId, string requestId) =>
        $"{{\"message\": \"{message}\", \"connectionId\":\"{connectionId}\", \"requestId\":\"{requestId}\"}}";

    [GeneratedRegex("^[A-Za-z0-9_-]{15}=$")]
    private static partial Regex IdShape();
}

/// <summary>
/// The contract's rows for kinds that call a backend over the network: a closed port, an answer far past the 10 MB
/// limit, and the route's concurrency limit.
/// </summary>
public abstract class RemoteIntegrationConformanceTests : IntegrationConformanceTests
{
    /// <summary>A chunked answer five times the gateway's 10 MB limit (no Content-Length: it must be cut while read).</summary>
    protected static readonly string HugeBody = new('x', 50 * 1024 * 1024);

    /// <summary>Adds the integration keys of this kind pointing at a loopback port nothing listens on.</summary>
    protected abstract void AddUnreachableIntegration(IDictionary<string, string?> settings, string prefix);

    /// <summary>From now on the backend answers 200 with <see cref="HugeBody"/>, chunked, reporting the event's requestId first.</summary>
    protected abstract void AnswerHuge(TaskCompletionSource<string> requestId);

    [Fact]
    public async Task UnreachableBackend_IsAFailure_OnAMessage_AndRefuses502_OnConnect()
    {
        await using (var gateway = await StartGatewayAsync(addIntegration: AddUnreachableIntegration))
        {
            using var http = new HttpClient();
            var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
            await using var _ = client;

            await client.SendTextAsync(Message);

            Assert.Matches(
                $"^{Regex.Escape("{\"message\": \"Internal server error\", \"connectionId\":\"" + connectionId + "\", \"requestId\":\"")}[A-Za-z0-9_-]{{15}}=\"}}$",
                await client.ReceiveTextAsync());
        }

        await using (var gateway = await StartGatewayAsync(routeKey: "$connect", addIntegration: AddUnreachableIntegration))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadGateway, await gateway.RefusedHandshakeAsync());
        }
    }

    [Fact]
    public async Task HugeChunkedAnswer_IsCutAtTheLimit_TheCallFails_AndTheGatewayStaysUp()
    {
        await using var gateway = await StartGatewayAsync();
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;
        var requestId = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        AnswerHuge(requestId);

        await client.SendTextAsync(Message);

        var frame = await client.ReceiveTextAsync();
        Assert.Equal(ErrorFrame("Internal server error", connectionId, await requestId.Task.WaitAsync(TestClient.DefaultTimeout)), frame);
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("answered more than 10485760 bytes", StringComparison.Ordinal));

        AnswerWithBody("still up");
        await client.SendTextAsync(Message);
        Assert.Equal("still up", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task ConcurrencyLimitFull_RefusesTheNextCallAtOnce_WithTheErrorFrame()
    {
        // Time stands still: no timeout can fire, so the error frame can only be the refusal.
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartGatewayAsync(time: time, integration: new Dictionary<string, string?> { ["MaxConcurrency"] = "1", ["MaxQueue"] = "0" });
        using var http = new HttpClient();
        await using var first = await gateway.ConnectAsync();
        var (second, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = second;
        var entered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Hang(entered);
        await first.SendTextAsync(Message);
        await entered.Task.WaitAsync(TestClient.DefaultTimeout);

        await second.SendTextAsync(Message);
        var refused = await second.ReceiveTextAsync();
        await second.SendTextAsync(Message);
        var refusedAgain = await second.ReceiveTextAsync();

        var errorFrameStart = ErrorFrame("Internal server error", connectionId, "")[..^2];
        Assert.StartsWith(errorFrameStart, refused);
        Assert.StartsWith(errorFrameStart, refusedAgain);
        // One warning a minute per route: the first refusal is logged, the second only counted.
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains(RequestIdIn(refused), StringComparison.Ordinal)
            && line.Contains("1 call(s) running and 0 waiting (MaxConcurrency, MaxQueue); call refused", StringComparison.Ordinal));
        Assert.DoesNotContain(TestLoggerProvider.Lines, line => line.Contains(RequestIdIn(refusedAgain), StringComparison.Ordinal));
    }

    private static string RequestIdIn(string errorFrame) => System.Text.Json.JsonDocument.Parse(errorFrame).RootElement.GetProperty("requestId").GetString()!;
}

/// <summary>The contract for <c>http</c> integrations: a real backend on Kestrel receiving the Lambda-proxy event.</summary>
public sealed class HttpIntegrationConformanceTests : RemoteIntegrationConformanceTests
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RecordingBackend _backend = null!;

    public override async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public override async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _backend.DisposeAsync();
    }

    protected override void AddIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "http";
        settings[$"{prefix}:Uri"] = _backend.UriFor(RouteKey).ToString();
    }

    protected override void AnswerWithBody(string body) => _backend.RespondWithResult(RouteKey, 200, body);

    /// <summary>The function errored: the backend answers HTTP 500.</summary>
    protected override void Fail(TaskCompletionSource<string> requestId) => Answer(requestId, 500, "{\"errorMessage\":\"boom\"}");

    protected override void Hang(TaskCompletionSource<string> entered) => _backend.Respond(RouteKey, async e =>
    {
        entered.TrySetResult(RequestIdOf(e));
        await _release.Task;
        return (200, "{\"statusCode\":200,\"body\":\"too late\"}");
    });

    /// <summary>
    /// HTTP errors, the Lambda Invoke API's function errors that come with HTTP 200 (a backend relaying an emulator's
    /// answer), and answers that are not a result.
    /// </summary>
    protected override IReadOnlyDictionary<string, Action<TaskCompletionSource<string>>> FailureShapes() =>
        new Dictionary<string, Action<TaskCompletionSource<string>>>
        {
            ["HTTP 500"] = Fail,
            ["HTTP 404"] = requestId => Answer(requestId, 404, "not found"),
            ["HTTP 302"] = requestId => Answer(requestId, 302, ""),
            ["error body"] = requestId => Answer(requestId, 200, "{\"errorType\":\"TypeError\",\"errorMessage\":\"x is undefined\",\"trace\":[]}"),
            ["error body without type"] = requestId => Answer(requestId, 200, "{\"errorMessage\":\"no type\"}"),
            ["Task timed out"] = requestId => Answer(requestId, 200, "Task timed out after 1.00 seconds"),
            ["truncated JSON"] = requestId => Answer(requestId, 200, "{\"statusCode\":200,\"body\":"),
            ["JSON array"] = requestId => Answer(requestId, 200, "[1,2,3]"),
            ["statusCode as a string"] = requestId => Answer(requestId, 200, "{\"statusCode\":\"200\"}"),
            ["not JSON"] = requestId => Answer(requestId, 200, "not json"),
        };

    protected override void AddUnreachableIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "http";
        settings[$"{prefix}:Uri"] = $"http://127.0.0.1:{ServerProcess.FreePort()}/{RouteKey}";
    }

    protected override void AnswerHuge(TaskCompletionSource<string> requestId) => Answer(requestId, 200, HugeBody);

    private void Answer(TaskCompletionSource<string> requestId, int httpStatus, string body) => _backend.Respond(RouteKey, e =>
    {
        requestId.TrySetResult(RequestIdOf(e));
        return Task.FromResult((httpStatus, body));
    });

    private static string RequestIdOf(System.Text.Json.JsonElement e) => e.GetProperty("requestContext").GetProperty("requestId").GetString()!;
}

/// <summary>The contract for <c>inprocess</c> integrations: a handler registered with <c>AddRouteHandler</c>.</summary>
public sealed class InProcessIntegrationConformanceTests : IntegrationConformanceTests
{
    private Func<RouteEvent, CancellationToken, ValueTask<RouteResponse>> _behavior = (_, _) => ValueTask.FromResult(RouteResponse.Ok);

    protected override void AddIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "inprocess";
        settings[$"{prefix}:Handler"] = "probe-handler";
    }

    protected override void ConfigureServices(ISwitchboardBuilder services) =>
        services.AddRouteHandler("probe-handler", (e, cancellationToken) => Volatile.Read(ref _behavior)(e, cancellationToken));

    protected override void AnswerWithBody(string body) =>
        Volatile.Write(ref _behavior, (_, _) => ValueTask.FromResult(RouteResponse.WithBody(body)));

    /// <summary>The handler throws.</summary>
    protected override void Fail(TaskCompletionSource<string> requestId) => Volatile.Write(ref _behavior, (e, _) =>
    {
        requestId.TrySetResult(e.RequestId);
        throw new InvalidOperationException("boom");
    });

    protected override void Hang(TaskCompletionSource<string> entered) => Volatile.Write(ref _behavior, async (e, cancellationToken) =>
    {
        entered.TrySetResult(e.RequestId);
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return RouteResponse.WithBody("too late");
    });

    /// <summary>The handler throws at once, throws after yielding, or returns null.</summary>
    protected override IReadOnlyDictionary<string, Action<TaskCompletionSource<string>>> FailureShapes() =>
        new Dictionary<string, Action<TaskCompletionSource<string>>>
        {
            ["throws"] = Fail,
            ["throws asynchronously"] = requestId => Volatile.Write(ref _behavior, async (e, _) =>
            {
                await Task.Yield();
                requestId.TrySetResult(e.RequestId);
                throw new InvalidOperationException("boom later");
            }),
            ["returns null"] = requestId => Volatile.Write(ref _behavior, (e, _) =>
            {
                requestId.TrySetResult(e.RequestId);
                return ValueTask.FromResult<RouteResponse>(null!);
            }),
        };

    [Fact]
    public async Task HandlerHonouringCancellation_IsCancelledAtTheTimeout()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartGatewayAsync(time: time);
        await using var client = await gateway.ConnectAsync();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _behavior, async (_, cancellationToken) =>
        {
            using var registration = cancellationToken.Register(() => cancelled.TrySetResult());
            entered.TrySetResult();
            await cancelled.Task;
            return RouteResponse.Ok;
        });
        var timersBefore = time.TimersCreated(RouteTimeout);

        await client.SendTextAsync(Message);
        await entered.Task.WaitAsync(TestClient.DefaultTimeout);
        await time.WaitForTimerAsync(RouteTimeout, timersBefore + 1);
        Assert.False(cancelled.Task.IsCompleted);
        time.Advance(RouteTimeout);

        await cancelled.Task.WaitAsync(TestClient.DefaultTimeout);
        Assert.StartsWith("{\"message\": \"Endpoint request timed out\"", await client.ReceiveTextAsync());
    }
}
