using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// REQUEST authorizers on <c>$connect</c> (docs/security.md, "$connect authorizers"): a real HTTP authorizer on loopback
/// decides the handshake; its principal and context reach every later event of the connection.
/// </summary>
public sealed class ConnectAuthorizerTests : IAsyncLifetime
{
    private const string MethodArn = "arn:aws:execute-api:us-east-1:000000000000:switchboard/production/$connect";
    private static readonly TimeSpan AuthorizerTimeout = TimeSpan.FromSeconds(3);
    private RecordingBackend _authorizer = null!;

    public async Task InitializeAsync() => _authorizer = await RecordingBackend.StartAsync();

    public async Task DisposeAsync() => await _authorizer.DisposeAsync();

    /// <summary>A gateway whose $connect, $disconnect and $default are recorded in process, with an HTTP authorizer on $connect.</summary>
    private Task<Harness> StartAsync(string identitySource = "route.request.header.Authorization", bool directUpgrade = true, Action<ISwitchboardBuilder>? configure = null, Uri? authorizerUri = null) =>
        Harness.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:StageVariables:tenant"] = "blue",
                ["Switchboard:Routes:0:Authorizer:Type"] = "request",
                ["Switchboard:Routes:0:Authorizer:IdentitySource:0"] = identitySource,
                ["Switchboard:Routes:0:Authorizer:Integration:Type"] = "http",
                ["Switchboard:Routes:0:Authorizer:Integration:Uri"] = (authorizerUri ?? _authorizer.UriFor("authorize")).ToString(),
                ["Switchboard:Routes:0:Authorizer:Integration:Timeout"] = AuthorizerTimeout.ToString(),
            },
            configure,
            directUpgrade);

    private static Action<System.Net.WebSockets.ClientWebSocketOptions> WithToken(string token) => options => options.SetRequestHeader("Authorization", token);

    /// <summary>An authorizer result with one statement.</summary>
    private static string Policy(string effect, object resource, object? context = null, string principalId = "user-7") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["principalId"] = principalId,
            ["policyDocument"] = new { Version = "2012-10-17", Statement = new[] { new { Action = "execute-api:Invoke", Effect = effect, Resource = resource } } },
            ["context"] = context,
        });

    private void Answer(string body, int httpStatus = 200) => _authorizer.Respond("authorize", httpStatus, body);

    [Theory]
    [InlineData("route.request.header.Authorization", "")]
    [InlineData("route.request.header.Authorization", "?token=abc")]
    [InlineData("route.request.querystring.token", "")]
    [InlineData("route.request.querystring.token", "?token=")]
    [InlineData("stageVariables.missing", "?token=abc")]
    public async Task MissingOrEmptyIdentitySource_Refuses401_WithoutCallingTheAuthorizer(string identitySource, string query)
    {
        await using var harness = await StartAsync(identitySource);
        Answer(Policy("Allow", MethodArn));

        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(query));

        Assert.False(_authorizer.TryTakeEvent(out _));
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Fact]
    public async Task EmptyHeader_IsMissing_Refuses401_WithoutCallingTheAuthorizer()
    {
        await using var harness = await StartAsync();
        Answer(Policy("Allow", MethodArn));

        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("")));

        Assert.False(_authorizer.TryTakeEvent(out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Allow_Connects_AndEveryEventOfTheConnectionCarriesThePrincipalAndContext(bool directUpgrade)
    {
        await using var harness = await StartAsync(directUpgrade: directUpgrade);
        Answer(Policy("Allow", MethodArn, new { user = "alice", level = 3, admin = true }));

        var client = await harness.Gateway.ConnectAsync(configure: WithToken("secret-token"));
        var connect = await harness.Recorder.NextAsync("$connect");
        var connectionId = connect.ConnectionId;
        await client.SendTextAsync("hello");
        var message = await harness.Recorder.NextAsync("$default");
        await client.CloseAsync();
        await client.DisposeAsync();
        var disconnect = await harness.Recorder.NextAsync("$disconnect");

        var authorizerEvent = (await _authorizer.NextEventAsync()).Event;
        Assert.Equal(connectionId, authorizerEvent.GetProperty("requestContext").GetProperty("connectionId").GetString());
        foreach (var routeEvent in new[] { connect, message, disconnect })
        {
            Assert.Equal(connectionId, routeEvent.ConnectionId);
            var authorizer = AuthorizerJson(routeEvent);
            Assert.Equal("user-7", authorizer.GetProperty("principalId").GetString());
            Assert.Equal("alice", authorizer.GetProperty("user").GetString());
            Assert.Equal(3, authorizer.GetProperty("level").GetInt32());
            Assert.True(authorizer.GetProperty("admin").GetBoolean());
            Assert.Equal(JsonValueKind.Number, authorizer.GetProperty("integrationLatency").ValueKind);
        }
    }

    [Fact]
    public async Task AuthorizerEvent_IsApiGatewaysRequestAuthorizerInput()
    {
        await using var harness = await StartAsync();
        Answer(Policy("Allow", MethodArn));

        var (client, connectionId) = await harness.ConnectAsync(WithToken("secret-token"));
        await using var connected = client;

        var recorded = await _authorizer.NextEventAsync();
        var root = recorded.Event;
        Assert.Equal("REQUEST", root.GetProperty("type").GetString());
        Assert.Equal(MethodArn, root.GetProperty("methodArn").GetString());
        var headers = root.GetProperty("headers");
        Assert.Equal("secret-token", headers.GetProperty("Authorization").GetString());
        Assert.Equal("Upgrade", headers.GetProperty("Connection").GetString());
        Assert.Equal("websocket", headers.GetProperty("Upgrade").GetString(), ignoreCase: true);
        Assert.Equal("secret-token", root.GetProperty("multiValueHeaders").GetProperty("Authorization")[0].GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("queryStringParameters").ValueKind);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("multiValueQueryStringParameters").ValueKind);
        Assert.Equal("blue", root.GetProperty("stageVariables").GetProperty("tenant").GetString());
        var context = root.GetProperty("requestContext");
        Assert.Equal("$connect", context.GetProperty("routeKey").GetString());
        Assert.Equal("CONNECT", context.GetProperty("eventType").GetString());
        Assert.Equal(connectionId, context.GetProperty("connectionId").GetString());
        Assert.False(context.TryGetProperty("authorizer", out _));
        Assert.False(root.TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Deny_Refuses403_AndTheConnectIntegrationIsNotCalled()
    {
        await using var harness = await StartAsync();
        Answer(Policy("Deny", MethodArn));

        Assert.Equal(HttpStatusCode.Forbidden, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));

        await _authorizer.NextEventAsync();
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Fact]
    public async Task DenyWinsOverAnAllowThatAlsoMatches()
    {
        await using var harness = await StartAsync();
        Answer(JsonSerializer.Serialize(new
        {
            principalId = "p",
            policyDocument = new
            {
                Statement = new object[]
                {
                    new { Action = "execute-api:Invoke", Effect = "Allow", Resource = "*" },
                    new { Action = "execute-api:*", Effect = "Deny", Resource = new[] { "arn:aws:execute-api:*:*:switchboard/production/*" } },
                },
            },
        }));

        Assert.Equal(HttpStatusCode.Forbidden, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
    }

    [Theory]
    [InlineData(MethodArn, true)]
    [InlineData("*", true)]
    [InlineData("arn:aws:execute-api:*:*:switchboard/*", true)]
    [InlineData("arn:aws:execute-api:us-east-1:000000000000:switchboard/production/$conn?ct", true)]
    [InlineData("arn:aws:execute-api:us-east-?:*:*/production/*", true)]
    [InlineData("arn:aws:execute-api:us-east-1:000000000000:switchboard/production/*/*", false)]
    [InlineData("arn:aws:execute-api:us-east-1:000000000000:switchboard/staging/$connect", false)]
    [InlineData("arn:aws:execute-api:eu-west-1:000000000000:switchboard/production/$connect", false)]
    [InlineData("arn:aws:execute-api:us-east-1:000000000000:other/*", false)]
    [InlineData("arn:aws:execute-api:us-east-1:000000000000:switchboard/production/$connect?", false)]
    public async Task AllowedResource_IsMatchedAgainstTheMethodArn_WithWildcards(string resource, bool connects)
    {
        await using var harness = await StartAsync();
        Answer(Policy("Allow", resource));

        if (connects)
        {
            var (client, _) = await harness.ConnectAsync(WithToken("t"));
            await client.DisposeAsync();
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
        }
    }

    [Theory]
    [InlineData(200, "Unauthorized")]
    [InlineData(200, "\"Unauthorized\"")]
    [InlineData(200, "{\"errorType\":\"Error\",\"errorMessage\":\"Unauthorized\"}")]
    [InlineData(401, "")]
    public async Task Unauthorized_Refuses401(int httpStatus, string body)
    {
        await using var harness = await StartAsync();
        Answer(body, httpStatus);

        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Theory]
    [InlineData(200, "this is not JSON")]
    [InlineData(200, "{\"principalId\":\"p\"}")]
    [InlineData(200, "{\"principalId\":\"p\",\"policyDocument\":{\"Version\":\"2012-10-17\"}}")]
    [InlineData(200, "{\"principalId\":\"p\",\"policyDocument\":{\"Statement\":[{\"Effect\":\"Maybe\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"*\"}]}}")]
    [InlineData(200, "{\"policyDocument\":{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"*\"}]}}")]
    [InlineData(200, "{\"principalId\":\"p\",\"policyDocument\":{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"*\"}]},\"context\":{\"nested\":{\"a\":1}}}")]
    [InlineData(200, "{\"errorType\":\"Error\",\"errorMessage\":\"boom\"}")]
    [InlineData(500, "{}")]
    [InlineData(403, "{}")]
    public async Task AnswerThatIsNotAValidResult_Refuses500(int httpStatus, string body)
    {
        await using var harness = await StartAsync();
        Answer(body, httpStatus);

        Assert.Equal(HttpStatusCode.InternalServerError, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Fact]
    public async Task ResultLargerThan8KB_Refuses500()
    {
        await using var harness = await StartAsync();
        Answer(Policy("Allow", MethodArn, new { padding = new string('x', 8 * 1024) }));

        Assert.Equal(HttpStatusCode.InternalServerError, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
    }

    [Fact]
    public async Task AuthorizerThatIsDown_Refuses500()
    {
        await using var harness = await StartAsync(authorizerUri: new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/authorize"));

        Assert.Equal(HttpStatusCode.InternalServerError, await harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t")));
    }

    [Fact]
    public async Task AuthorizerThatTimesOut_Refuses500()
    {
        var time = new ObservableFakeTimeProvider();
        var release = new TaskCompletionSource<(int, string)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _authorizer.Respond("authorize", _ =>
        {
            entered.TrySetResult();
            return release.Task;
        });
        await using var harness = await StartAsync(configure: builder => builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        try
        {
            var timersBefore = time.TimersCreated(AuthorizerTimeout);
            var handshake = harness.Gateway.RefusedHandshakeAsync(configure: WithToken("t"));
            await entered.Task.WaitAsync(TestClient.DefaultTimeout);
            await time.WaitForTimerAsync(AuthorizerTimeout, timersBefore + 1);
            time.Advance(AuthorizerTimeout);

            Assert.Equal(HttpStatusCode.InternalServerError, await handshake);
            Assert.False(harness.Recorder.TryTake("$connect", out _));
        }
        finally
        {
            release.TrySetResult((200, Policy("Allow", MethodArn)));
        }
    }

    [Fact]
    public async Task InProcessAuthorizer_DecidesThroughTheSameIntegrationSeam()
    {
        var seen = new TaskCompletionSource<RouteEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await Harness.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:Authorizer:Type"] = "request",
                ["Switchboard:Routes:0:Authorizer:IdentitySource:0"] = "route.request.querystring.token",
                ["Switchboard:Routes:0:Authorizer:Integration:Type"] = "inprocess",
                ["Switchboard:Routes:0:Authorizer:Integration:Handler"] = "authorizer",
            },
            builder => builder.AddRouteHandler("authorizer", (routeEvent, _) =>
            {
                seen.TrySetResult(routeEvent);
                var token = routeEvent.QueryString!.Single(entry => entry.Key == "token").Value.ToString();
                return ValueTask.FromResult(RouteResponse.WithBody(Policy(token == "good" ? "Allow" : "Deny", routeEvent.MethodArn!, new { token })));
            }));

        Assert.Equal(HttpStatusCode.Forbidden, await harness.Gateway.RefusedHandshakeAsync("?token=bad"));
        await using var client = await harness.Gateway.ConnectAsync("?token=good");

        Assert.True((await seen.Task).IsAuthorizerRequest);
        var connect = await harness.Recorder.NextAsync("$connect");
        Assert.Equal("good", connect.Authorizer!["token"]!.Value.GetString());
    }

    /// <summary>The event's <c>requestContext.authorizer</c> as the proxy event JSON carries it.</summary>
    private static JsonElement AuthorizerJson(RouteEvent routeEvent)
    {
        using var document = JsonDocument.Parse(ProxyEventWriter.ToUtf8Bytes(routeEvent));
        return document.RootElement.GetProperty("requestContext").GetProperty("authorizer").Clone();
    }
}
