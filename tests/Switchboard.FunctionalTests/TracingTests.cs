using System.Diagnostics;
using Switchboard.Diagnostics;
using Switchboard.Management.Authentication;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The gateway's spans (docs/observability.md, "Traces") over a real gateway, a recording HTTP backend and a fake
/// Lambda Invoke API: the handshake continues the client's <c>traceparent</c>, each message starts a trace linked to
/// it, integration calls carry the trace to the backend (<c>traceparent</c>, and the CONNECT event's
/// <c>X-Amzn-Trace-Id</c> with the same trace id), failures mark spans failed, management calls have spans.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly SpanRecorder _spans = new();
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync()
    {
        _spans.Dispose();
        await _backend.DisposeAsync();
    }

    private Task<TestGateway> StartAsync(bool directUpgrade = true)
    {
        var settings = new Dictionary<string, string?> { ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false" };
        string[] routes = ["$connect", "$disconnect", "$default"];
        for (var i = 0; i < routes.Length; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routes[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "http";
            settings[$"Switchboard:Routes:{i}:Integration:Uri"] = _backend.UriFor(routes[i].TrimStart('$')).ToString();
        }

        return TestGateway.StartAsync(settings);
    }

    /// <summary>
    /// Connects with a client's own trace (a fresh trace id and span id, sampled) in its <c>traceparent</c>. The
    /// handshake's HTTP handler propagates nothing itself: an OpenTelemetry provider elsewhere in the test process
    /// would otherwise instrument the client's request and add its own <c>traceparent</c> beside this one.
    /// </summary>
    internal static async Task<(TestClient Client, ActivityTraceId TraceId, ActivitySpanId SpanId)> ConnectTracedAsync(Uri webSocketUri)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spanId = ActivitySpanId.CreateRandom();
        var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("traceparent", $"00-{traceId}-{spanId}-01");
        // Not disposed here: the upgraded connection lives on in the handler's stream.
        var handler = new HttpMessageInvoker(new SocketsHttpHandler { ActivityHeadersPropagator = null });
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        await socket.ConnectAsync(webSocketUri, handler, timeout.Token);
        return (new TestClient(socket), traceId, spanId);
    }

    private static string TraceIdOf(string traceParent) => traceParent.Split('-')[1];

    /// <summary>A string of the event's <c>requestContext</c> (<c>requestId</c>, <c>connectionId</c>).</summary>
    private static string Context(RecordedEvent recorded, string name) => recorded.Event.GetProperty("requestContext").GetProperty(name).GetString()!;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handshake_ContinuesTheClientsTraceparent_AndTheConnectCallCarriesIt(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade);
        var (client, traceId, spanId) = await ConnectTracedAsync(gateway.WebSocketUri);
        await using var _ = client;

        var connect = await _backend.NextEventAsync("$connect");
        var requestId = Context(connect, "requestId");
        var connectionId = Context(connect, "connectionId");
        var handshake = await _spans.WaitForAsync(SwitchboardActivities.HandshakeName, SwitchboardActivities.ConnectionIdTag, connectionId);
        var integration = await _spans.WaitForAsync("integration $connect", SwitchboardActivities.RequestIdTag, requestId);

        Assert.Equal(traceId, handshake.TraceId);
        if (directUpgrade)
        {
            // Through ASP.NET Core's pipeline the parent may be its request activity, itself the client's child.
            Assert.Equal(spanId, handshake.ParentSpanId);
        }

        Assert.Equal(ActivityKind.Server, handshake.Kind);
        Assert.Equal(requestId, handshake.GetTagItem(SwitchboardActivities.RequestIdTag));
        Assert.Equal(101, handshake.GetTagItem(SwitchboardActivities.HttpStatusCodeTag));
        Assert.Equal(ActivityStatusCode.Unset, handshake.Status);

        Assert.Equal(handshake.SpanId, integration.ParentSpanId);
        Assert.Equal(ActivityKind.Client, integration.Kind);
        Assert.Equal("http", integration.GetTagItem(SwitchboardActivities.IntegrationKindTag));
        Assert.Equal("Succeeded", integration.GetTagItem(SwitchboardActivities.IntegrationOutcomeTag));

        // The backend sees the same trace twice: the W3C header on the call, the X-Ray header in the event.
        Assert.Equal(traceId.ToHexString(), TraceIdOf(connect.Headers["traceparent"]));
        var hex = traceId.ToHexString();
        var headers = connect.Event.GetProperty("headers");
        Assert.Equal($"Root=1-{hex[..8]}-{hex[8..]}", headers.GetProperty("X-Amzn-Trace-Id").GetString());
    }

    [Fact]
    public async Task Message_StartsATraceLinkedToTheHandshake_AndItsIntegrationCallCarriesIt()
    {
        await using var gateway = await StartAsync();
        var (client, _, _) = await ConnectTracedAsync(gateway.WebSocketUri);
        await using var _ = client;
        var connectionId = Context(await _backend.NextEventAsync("$connect"), "connectionId");
        var handshake = await _spans.WaitForAsync(SwitchboardActivities.HandshakeName, SwitchboardActivities.ConnectionIdTag, connectionId);

        await client.SendTextAsync("{\"hello\":1}");

        var message = await _backend.NextEventAsync("$default");
        var requestId = Context(message, "requestId");
        var messageSpan = await _spans.WaitForAsync("message $default", SwitchboardActivities.RequestIdTag, requestId);
        var integration = await _spans.WaitForAsync("integration $default", SwitchboardActivities.RequestIdTag, requestId);

        Assert.NotEqual(handshake.TraceId, messageSpan.TraceId);
        Assert.Equal(default, messageSpan.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, messageSpan.Kind);
        Assert.Equal(handshake.Context.SpanId, Assert.Single(messageSpan.Links).Context.SpanId);
        Assert.Equal(connectionId, messageSpan.GetTagItem(SwitchboardActivities.ConnectionIdTag));
        Assert.Equal("$default", messageSpan.GetTagItem(SwitchboardActivities.RouteTag));
        Assert.Equal(messageSpan.SpanId, integration.ParentSpanId);
        Assert.Equal(messageSpan.TraceId.ToHexString(), TraceIdOf(message.Headers["traceparent"]));
    }

    [Fact]
    public async Task FailingIntegration_MarksTheMessageAndIntegrationSpansFailed()
    {
        _backend.Respond("default", 500, "");
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("boom");

        Assert.Contains("Internal server error", await client.ReceiveTextAsync());
        var requestId = Context(await _backend.NextEventAsync("$default"), "requestId");
        var messageSpan = await _spans.WaitForAsync("message $default", SwitchboardActivities.RequestIdTag, requestId);
        var integration = await _spans.WaitForAsync("integration $default", SwitchboardActivities.RequestIdTag, requestId);
        Assert.Equal(ActivityStatusCode.Error, integration.Status);
        Assert.Equal("Failed", integration.GetTagItem(SwitchboardActivities.IntegrationOutcomeTag));
        Assert.Equal(ActivityStatusCode.Error, messageSpan.Status);
    }

    [Fact]
    public async Task Disconnect_StartsATraceLinkedToTheHandshake()
    {
        await using var gateway = await StartAsync();
        var client = await gateway.ConnectAsync();
        var connectionId = Context(await _backend.NextEventAsync("$connect"), "connectionId");
        var handshake = await _spans.WaitForAsync(SwitchboardActivities.HandshakeName, SwitchboardActivities.ConnectionIdTag, connectionId);

        await client.DisposeAsync();

        var disconnect = await _spans.WaitForAsync("integration $disconnect", SwitchboardActivities.ConnectionIdTag, connectionId);
        Assert.Equal(default, disconnect.ParentSpanId);
        Assert.Equal(handshake.Context.SpanId, Assert.Single(disconnect.Links).Context.SpanId);
    }

    [Fact]
    public async Task ManagementCall_HasASpan_WithItsRequestIdAndStatus()
    {
        await using var gateway = await StartAsync();
        await using var client = await gateway.ConnectAsync();
        var connectionId = Context(await _backend.NextEventAsync("$connect"), "connectionId");
        using var http = new HttpClient();

        using var response = await http.GetAsync(gateway.ConnectionUri(connectionId));

        response.EnsureSuccessStatusCode();
        var requestId = response.Headers.GetValues("x-amzn-RequestId").Single();
        var span = await _spans.WaitForAsync("management GetConnection", SwitchboardActivities.RequestIdTag, requestId);
        Assert.Equal(connectionId, span.GetTagItem(SwitchboardActivities.ConnectionIdTag));
        Assert.Equal(200, span.GetTagItem(SwitchboardActivities.HttpStatusCodeTag));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact]
    public async Task LambdaCall_CarriesTraceparent_AndItsSignatureStillVerifies()
    {
        const string secret = "tracing-test-secret";
        await using var api = await LambdaInvokeApi.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$default",
            ["Switchboard:Routes:0:Integration:Type"] = "lambda",
            ["Switchboard:Routes:0:Integration:FunctionName"] = "chat",
            ["Switchboard:Routes:0:Integration:Region"] = "eu-west-1",
            ["Switchboard:Routes:0:Integration:Endpoint"] = api.BaseUri.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "AKIDTRACING",
            ["AWS_SECRET_ACCESS_KEY"] = secret,
        };
        await using var gateway = await TestGateway.StartAsync(settings);
        await using var client = await gateway.ConnectAsync();

        await client.SendTextAsync("traced");

        // The invocation is recorded before its answer, the span ends after it.
        var span = await _spans.WaitForAsync(span => span.DisplayName == "integration $default"
            && api.Invocations.Any(invocation => invocation.RequestId == span.GetTagItem(SwitchboardActivities.RequestIdTag) as string));
        var invocation = api.Invocations.Single(invocation => invocation.RequestId == span.GetTagItem(SwitchboardActivities.RequestIdTag) as string);
        Assert.Equal("lambda", span.GetTagItem(SwitchboardActivities.IntegrationKindTag));
        Assert.Equal(span.TraceId.ToHexString(), TraceIdOf(invocation.Headers["traceparent"]));

        Assert.True(SigV4Authorization.TryParse(invocation.Headers["Authorization"], hasDate: true, out var authorization, out var problem), problem);
        Assert.DoesNotContain("traceparent", authorization!.SignedHeaders);
        var payloadHash = SigV4.HashHex(invocation.Body);
        var canonicalRequest = SigV4.CanonicalRequest("POST", invocation.RawTarget, authorization.SignedHeaders, name => [invocation.Headers[name]], payloadHash);
        Assert.Equal(SigV4.Sign(secret, invocation.Headers["x-amz-date"], "eu-west-1", "lambda", canonicalRequest).Signature, authorization.Signature);
    }
}
