using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Integrations;
using Switchboard.Management.Authentication;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>The contract for <c>lambda</c> integrations: a Lambda Invoke API on Kestrel answering as real Lambda and its emulators do.</summary>
public sealed class LambdaIntegrationConformanceTests : RemoteIntegrationConformanceTests
{
    private const string AccessKeyId = "AKIDLAMBDATEST";
    private const string SecretAccessKey = "lambda-test-secret-never-logged";
    private const string SessionToken = "session-token-for-the-test";
    private const string FunctionArn = "arn:aws:lambda:eu-west-1:123456789012:function:chat";

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LambdaInvokeApi _api = null!;

    public override async Task InitializeAsync() => _api = await LambdaInvokeApi.StartAsync();

    public override async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _api.DisposeAsync();
    }

    protected override void AddIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "lambda";
        settings[$"{prefix}:FunctionName"] = "chat";
        settings[$"{prefix}:Endpoint"] = _api.BaseUri.ToString();
    }

    protected override void AnswerWithBody(string body) => _api.Answer(InvokeAnswer.Result(200, body));

    /// <summary>The function threw: 200 with <c>X-Amz-Function-Error: Handled</c>, as real Lambda answers.</summary>
    protected override void Fail(TaskCompletionSource<string> requestId) => AnswerAndReport(requestId, InvokeAnswer.FunctionErrors["handled"]);

    protected override void Hang(TaskCompletionSource<string> entered) => _api.Answer(async invocation =>
    {
        entered.TrySetResult(invocation.RequestId);
        await _release.Task;
        return InvokeAnswer.Result(200, "too late");
    });

    /// <summary>Every shape in which real Lambda and the emulators report a failed invocation (<see cref="InvokeAnswer.FunctionErrors"/>).</summary>
    protected override IReadOnlyDictionary<string, Action<TaskCompletionSource<string>>> FailureShapes() =>
        InvokeAnswer.FunctionErrors.ToDictionary(
            shape => shape.Key,
            shape => (Action<TaskCompletionSource<string>>)(requestId => AnswerAndReport(requestId, shape.Value)));

    protected override string NeverLogged => "lambda-error-message-7f3";

    protected override void AddUnreachableIntegration(IDictionary<string, string?> settings, string prefix)
    {
        settings[$"{prefix}:Type"] = "lambda";
        settings[$"{prefix}:FunctionName"] = "chat";
        settings[$"{prefix}:Endpoint"] = $"http://127.0.0.1:{ServerProcess.FreePort()}";
    }

    protected override void AnswerHuge(TaskCompletionSource<string> requestId) =>
        AnswerAndReport(requestId, new InvokeAnswer(200, HugeBody, new Dictionary<string, string> { ["Content-Type"] = "application/json" }));

    [Fact]
    public async Task ConnectResult_IsTheHandshakesAnswer_ItsOwnStatusRefuses()
    {
        await using var gateway = await StartConnectGatewayAsync();
        _api.Answer(InvokeAnswer.Result(200, "Connected."));
        await using (await gateway.ConnectAsync())
        {
        }

        _api.Answer(InvokeAnswer.Result(403, "no"));
        Assert.Equal(HttpStatusCode.Forbidden, await gateway.RefusedHandshakeAsync());
    }

    [Fact]
    public async Task Invocation_IsTheInvokeApiCall_SignedForLambda_WithTheQualifierAndTheProxyEvent()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = RouteKey,
            ["Switchboard:Routes:0:TwoWay"] = "true",
            ["Switchboard:Routes:0:Integration:Type"] = "lambda",
            ["Switchboard:Routes:0:Integration:FunctionName"] = FunctionArn,
            ["Switchboard:Routes:0:Integration:Qualifier"] = "live",
            ["Switchboard:Routes:0:Integration:Endpoint"] = _api.BaseUri.ToString(),
            ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
            ["AWS_SESSION_TOKEN"] = SessionToken,
        };
        await using var gateway = await TestGateway.StartAsync(settings);
        _api.Answer(InvokeAnswer.Result(200, "pong"));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync(Message);

        Assert.Equal("pong", await client.ReceiveTextAsync());
        var invocation = Assert.Single(_api.Invocations);
        Assert.Equal(FunctionArn, invocation.FunctionName);
        Assert.Equal("live", invocation.Qualifier);
        Assert.Equal("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Achat/invocations?Qualifier=live", invocation.RawTarget);
        Assert.Equal("RequestResponse", invocation.Headers["X-Amz-Invocation-Type"]);
        Assert.Equal("application/json", invocation.Headers["Content-Type"]);
        Assert.Equal(RouteKey, invocation.Event.GetProperty("requestContext").GetProperty("routeKey").GetString());
        Assert.Equal(Message, invocation.Event.GetProperty("body").GetString());

        // The signature, checked as the gateway's own SigV4 verifier checks one: scope, signed headers, signature.
        Assert.True(SigV4Authorization.TryParse(invocation.Headers["Authorization"], hasDate: true, out var authorization, out var problem), problem);
        Assert.Equal(AccessKeyId, authorization!.AccessKeyId);
        Assert.Equal("eu-west-1", authorization.Region);
        Assert.Equal("lambda", authorization.Service);
        Assert.Equal(["host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"], authorization.SignedHeaders);
        Assert.Equal(SessionToken, invocation.Headers["x-amz-security-token"]);
        var payloadHash = SigV4.HashHex(invocation.Body);
        Assert.Equal(payloadHash, invocation.Headers["x-amz-content-sha256"]);
        var canonicalRequest = SigV4.CanonicalRequest("POST", invocation.RawTarget, authorization.SignedHeaders, name => [invocation.Headers[name]], payloadHash);
        var amzDate = invocation.Headers["x-amz-date"];
        Assert.Equal(SigV4.Sign(SecretAccessKey, amzDate, "eu-west-1", "lambda", canonicalRequest).Signature, authorization.Signature);
        Assert.NotEqual(SigV4.Sign("another-secret", amzDate, "eu-west-1", "lambda", canonicalRequest).Signature, authorization.Signature);
        Assert.DoesNotContain(TestLoggerProvider.Lines, line => line.Contains(SecretAccessKey, StringComparison.Ordinal) || line.Contains(SessionToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutCredentials_TheCallIsNotSigned_AsEmulatorsAccept()
    {
        await using var gateway = await StartGatewayAsync();
        _api.Answer(InvokeAnswer.Result(200, "pong"));
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync(Message);

        Assert.Equal("pong", await client.ReceiveTextAsync());
        var invocation = Assert.Single(_api.Invocations);
        Assert.Equal("/2015-03-31/functions/chat/invocations", invocation.RawTarget);
        Assert.False(invocation.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task UnreachableInvokeApi_IsAFailure()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "lambda",
            ["Switchboard:Routes:0:Integration:FunctionName"] = "chat",
            ["Switchboard:Routes:0:Integration:Endpoint"] = $"http://127.0.0.1:{ServerProcess.FreePort()}",
        };
        await using var gateway = await TestGateway.StartAsync(settings);

        Assert.Equal(HttpStatusCode.BadGateway, await gateway.RefusedHandshakeAsync());
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("cannot reach the Invoke API for function chat", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrencyLimit_OneCallAtATime_OthersQueue_AndAFullQueueFailsAtOnce()
    {
        await using var gateway = await StartLimitedGatewayAsync(maxConcurrency: 1, maxQueue: 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _api.Answer(async invocation =>
        {
            firstEntered.TrySetResult();
            await release.Task;
            return InvokeAnswer.Result(200, "served");
        });
        await using var first = await gateway.ConnectAsync();
        await using var second = await gateway.ConnectAsync();
        await using var third = await gateway.ConnectAsync();

        await first.SendTextAsync(Message);
        await firstEntered.Task.WaitAsync(TestClient.DefaultTimeout);
        await second.SendTextAsync(Message);
        await third.SendTextAsync(Message);

        // One of the two waits in the queue; the other finds it full and fails at once, without reaching the function.
        var secondFrame = second.ReceiveTextAsync();
        var thirdFrame = third.ReceiveTextAsync();
        var refused = await Task.WhenAny(secondFrame, thirdFrame);
        Assert.StartsWith("{\"message\": \"Internal server error\"", await refused);
        Assert.Contains(TestLoggerProvider.Lines, line => line.Contains("1 call(s) running and 1 waiting (MaxConcurrency, MaxQueue); call refused", StringComparison.Ordinal));
        Assert.Single(_api.Invocations);

        release.SetResult();
        Assert.Equal("served", await first.ReceiveTextAsync());
        Assert.Equal("served", await (refused == secondFrame ? thirdFrame : secondFrame));
        Assert.Equal(2, _api.Invocations.Count);
        Assert.Equal(1, _api.MaxRunning);
    }

    [Fact]
    public async Task WaitInTheQueue_CountsWithinTheRoutesTimeout()
    {
        var time = new ObservableFakeTimeProvider();
        await using var gateway = await StartLimitedGatewayAsync(maxConcurrency: 1, time: time);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _api.Answer(async _ =>
        {
            entered.TrySetResult();
            await _release.Task;
            return InvokeAnswer.Result(200, "too late");
        });
        await using var first = await gateway.ConnectAsync();
        await using var second = await gateway.ConnectAsync();
        var timersBefore = time.TimersCreated(RouteTimeout);
        await first.SendTextAsync(Message);
        await entered.Task.WaitAsync(TestClient.DefaultTimeout);
        await second.SendTextAsync(Message);
        await time.WaitForTimerAsync(RouteTimeout, timersBefore + 2);
        // The second call is waiting for the first's slot: it has not reached the function.
        Assert.Single(_api.Invocations);

        time.Advance(RouteTimeout);

        Assert.StartsWith("{\"message\": \"Endpoint request timed out\"", await second.ReceiveTextAsync());
        Assert.StartsWith("{\"message\": \"Endpoint request timed out\"", await first.ReceiveTextAsync());
    }

    [Fact]
    public async Task RequestAuthorizer_ThroughTheLambdaKind_ReadsUnauthorizedAndPolicies()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
            ["Switchboard:Routes:0:Integration:Handler"] = "accept",
            ["Switchboard:Routes:0:Authorizer:Type"] = "request",
            ["Switchboard:Routes:0:Authorizer:IdentitySource:0"] = "route.request.querystring.token",
            ["Switchboard:Routes:0:Authorizer:Integration:Type"] = "lambda",
            ["Switchboard:Routes:0:Authorizer:Integration:FunctionName"] = "authorize",
            ["Switchboard:Routes:0:Authorizer:Integration:Endpoint"] = _api.BaseUri.ToString(),
        };
        await using var gateway = await TestGateway.StartAsync(settings, switchboard => switchboard.AddRouteHandler("accept", (_, _) => ValueTask.FromResult(RouteResponse.Ok)));

        // A function that throws Error("Unauthorized"): real Lambda's function error → 401.
        _api.Answer(InvokeAnswer.FunctionErrors["handled"] with { Body = """{"errorType":"Error","errorMessage":"Unauthorized"}""" });
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.RefusedHandshakeAsync("?token=t"));

        // Any other function error → 500.
        _api.Answer(InvokeAnswer.FunctionErrors["handled"]);
        Assert.Equal(HttpStatusCode.InternalServerError, await gateway.RefusedHandshakeAsync("?token=t"));

        var allow = JsonSerializer.Serialize(new
        {
            principalId = "user-1",
            policyDocument = new { Version = "2012-10-17", Statement = new[] { new { Action = "execute-api:Invoke", Effect = "Allow", Resource = "arn:aws:execute-api:*:*:*/*/$connect" } } },
        });
        _api.Answer(new InvokeAnswer(200, allow, new Dictionary<string, string> { ["Content-Type"] = "application/json" }));
        await using (await gateway.ConnectAsync("?token=t"))
        {
        }

        Assert.Equal("authorize", _api.Invocations.Last().FunctionName);
    }

    private Task<TestGateway> StartConnectGatewayAsync() => TestGateway.StartAsync(new Dictionary<string, string?>
    {
        ["Switchboard:Routes:0:RouteKey"] = "$connect",
        ["Switchboard:Routes:0:Integration:Type"] = "lambda",
        ["Switchboard:Routes:0:Integration:FunctionName"] = "chat",
        ["Switchboard:Routes:0:Integration:Endpoint"] = _api.BaseUri.ToString(),
    });

    private async Task<TestGateway> StartLimitedGatewayAsync(int maxConcurrency, int? maxQueue = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = RouteKey,
            ["Switchboard:Routes:0:TwoWay"] = "true",
            ["Switchboard:Routes:0:Integration:Timeout"] = RouteTimeout.ToString(),
            ["Switchboard:Routes:0:Integration:MaxConcurrency"] = maxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard:Routes:0:Integration:MaxQueue"] = maxQueue?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        AddIntegration(settings, "Switchboard:Routes:0:Integration");
        return await TestGateway.StartAsync(settings, services =>
        {
            if (time is not null)
            {
                services.Services.Replace(ServiceDescriptor.Singleton(time));
            }
        });
    }

    private void AnswerAndReport(TaskCompletionSource<string> requestId, InvokeAnswer answer) => _api.Answer(invocation =>
    {
        requestId.TrySetResult(invocation.RequestId);
        return Task.FromResult(answer);
    });
}
