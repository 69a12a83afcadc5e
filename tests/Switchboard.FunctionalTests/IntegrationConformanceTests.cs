using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The <see cref="IRouteIntegration"/> contract, run against every integration kind: what the client sees when the
/// backend answers, fails or does not answer in time (docs/aws-compatibility.md, "Routes and messages").
/// </summary>
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

    protected async Task<TestGateway> StartGatewayAsync(bool twoWay = true, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = RouteKey,
            ["Switchboard:Routes:0:TwoWay"] = twoWay ? "true" : "false",
            ["Switchboard:Routes:0:Integration:Timeout"] = RouteTimeout.ToString(),
        };
        AddIntegration(settings, "Switchboard:Routes:0:Integration");
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

/// <summary>The contract for <c>http</c> integrations: a real backend on Kestrel receiving the Lambda-proxy event.</summary>
public sealed class HttpIntegrationConformanceTests : IntegrationConformanceTests
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

    [Theory]
    [InlineData("{\"statusCode\":200,\"body\":")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"statusCode\":\"200\"}")]
    [InlineData("not json")]
    public async Task MalformedResult_IsAFailure(string result)
    {
        await using var gateway = await StartGatewayAsync();
        await AssertFailureAsync(gateway, requestId => Answer(requestId, 200, result));
    }

    /// <summary>The Lambda Invoke API's function errors that come with HTTP 200 (a backend relaying an emulator's answer).</summary>
    [Theory]
    [InlineData("{\"errorType\":\"TypeError\",\"errorMessage\":\"x is undefined\",\"trace\":[]}")]
    [InlineData("{\"errorMessage\":\"no type\"}")]
    [InlineData("Task timed out after 1.00 seconds")]
    public async Task FunctionErrorAnsweredWith200_IsAFailure(string answer)
    {
        await using var gateway = await StartGatewayAsync();
        await AssertFailureAsync(gateway, requestId => Answer(requestId, 200, answer));
    }

    [Fact]
    public async Task UnreachableBackend_IsAFailure()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = RouteKey,
            ["Switchboard:Routes:0:TwoWay"] = "true",
            ["Switchboard:Routes:0:Integration:Type"] = "http",
            ["Switchboard:Routes:0:Integration:Uri"] = $"http://127.0.0.1:{ServerProcess.FreePort()}/{RouteKey}",
        };
        await using var gateway = await TestGateway.StartAsync(settings);
        using var http = new HttpClient();
        var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
        await using var _ = client;

        await client.SendTextAsync(Message);

        Assert.Matches(
            $"^{Regex.Escape("{\"message\": \"Internal server error\", \"connectionId\":\"" + connectionId + "\", \"requestId\":\"")}[A-Za-z0-9_-]{{15}}=\"}}$",
            await client.ReceiveTextAsync());
    }

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

    [Fact]
    public async Task HandlerThrowingAsynchronously_IsAFailure()
    {
        await using var gateway = await StartGatewayAsync();
        await AssertFailureAsync(gateway, requestId => Volatile.Write(ref _behavior, async (e, _) =>
        {
            await Task.Yield();
            requestId.TrySetResult(e.RequestId);
            throw new InvalidOperationException("boom later");
        }));
    }

    [Fact]
    public async Task HandlerReturningNull_IsAFailure()
    {
        await using var gateway = await StartGatewayAsync();
        await AssertFailureAsync(gateway, requestId => Volatile.Write(ref _behavior, (e, _) =>
        {
            requestId.TrySetResult(e.RequestId);
            return ValueTask.FromResult<RouteResponse>(null!);
        }));
    }

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
