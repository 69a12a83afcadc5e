using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.HttpProxy;

namespace Switchboard.Tests.Integrations;

public sealed class RequestParameterMappingTests
{
    private static readonly DateTimeOffset ConnectedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    private static RouteEvent Event(RouteEventType type, string? body = null, AuthorizerContext? authorizer = null) => new()
    {
        RouteKey = type == RouteEventType.Connect ? "$connect" : "send",
        EventType = type,
        ConnectionId = "conn-1=",
        RequestId = "req-1=",
        MessageId = type == RouteEventType.Message ? "msg-1=" : null,
        ConnectedAt = ConnectedAt,
        RequestTime = ConnectedAt.AddSeconds(1),
        Stage = "prod",
        ApiId = "api",
        DomainName = "gw.example:443",
        SourceIp = "203.0.113.9",
        UserAgent = "agent/1",
        Headers = type == RouteEventType.Connect ? [new("X-Tenant", "blue"), new("x-tenant", "green"), new("Accept", "*/*")] : null,
        QueryString = type == RouteEventType.Connect ? [new("token", new StringValues(["a", "b"])), new("Token", "other")] : null,
        BodyUtf8 = body is null ? default : Encoding.UTF8.GetBytes(body),
        Authorizer = authorizer,
        StageVariables = new Dictionary<string, string> { ["backend"] = "v2" },
    };

    private static Dictionary<string, string> Resolved(RouteEvent routeEvent, Dictionary<string, string> parameters)
    {
        Assert.Empty(RequestParameterMapping.Validate(parameters));
        var (headers, query) = RequestParameterMapping.Parse(parameters).Resolve(routeEvent);
        return headers.Select(header => KeyValuePair.Create("header." + header.Key, header.Value))
            .Concat(query.Select(parameter => KeyValuePair.Create("query." + parameter.Key, parameter.Value)))
            .ToDictionary();
    }

    [Fact]
    public void ContextVariables_AreTheEventsValues()
    {
        var authorizer = new AuthorizerContext("user-7", [new("tenant", JsonDocument.Parse("\"blue\"").RootElement), new("level", JsonDocument.Parse("3").RootElement)], 12);
        var resolved = Resolved(Event(RouteEventType.Message, "{}", authorizer), new()
        {
            ["integration.request.header.a"] = "context.connectionId",
            ["integration.request.header.b"] = "context.connectedAt",
            ["integration.request.header.c"] = "context.routeKey",
            ["integration.request.header.d"] = "context.eventType",
            ["integration.request.header.e"] = "context.requestId",
            ["integration.request.header.f"] = "context.identity.sourceIp",
            ["integration.request.header.g"] = "context.authorizer.principalId",
            ["integration.request.header.h"] = "context.authorizer.tenant",
            ["integration.request.header.i"] = "context.authorizer.level",
            ["integration.request.header.j"] = "context.messageId",
            ["integration.request.querystring.stage"] = "context.stage",
            ["integration.request.querystring.time"] = "context.requestTime",
        });

        Assert.Equal("conn-1=", resolved["header.a"]);
        Assert.Equal("1700000000123", resolved["header.b"]);
        Assert.Equal("send", resolved["header.c"]);
        Assert.Equal("MESSAGE", resolved["header.d"]);
        Assert.Equal("req-1=", resolved["header.e"]);
        Assert.Equal("203.0.113.9", resolved["header.f"]);
        Assert.Equal("user-7", resolved["header.g"]);
        Assert.Equal("blue", resolved["header.h"]);
        Assert.Equal("3", resolved["header.i"]);
        Assert.Equal("msg-1=", resolved["header.j"]);
        Assert.Equal("prod", resolved["query.stage"]);
        Assert.Equal("14/Nov/2023:22:13:21 +0000", resolved["query.time"]);
    }

    [Fact]
    public void HandshakeHeaders_MatchAnyCase_QueryNamesExactly_TheLastValueWins()
    {
        var resolved = Resolved(Event(RouteEventType.Connect), new()
        {
            ["integration.request.header.x-tenant"] = "route.request.header.X-TENANT",
            ["integration.request.querystring.t"] = "route.request.querystring.token",
            ["integration.request.querystring.missing"] = "route.request.querystring.nope",
        });

        Assert.Equal("green", resolved["header.x-tenant"]);
        Assert.Equal("b", resolved["query.t"]);
        Assert.False(resolved.ContainsKey("query.missing"));
    }

    [Theory]
    [InlineData("route.request.body.user.id", "u-1")]
    [InlineData("route.request.body.$.user.id", "u-1")]
    [InlineData("route.request.body.items[1].n", "2")]
    [InlineData("route.request.body.flag", "true")]
    [InlineData("route.request.body.user", """{"id":"u-1"}""")]
    [InlineData("route.request.body.none", null)]
    [InlineData("route.request.body.user.missing", null)]
    [InlineData("route.request.body.items[5].n", null)]
    public void BodyPaths_ReadTheMessagesJson(string source, string? expected)
    {
        var resolved = Resolved(Event(RouteEventType.Message, """{"user":{"id":"u-1"},"items":[{"n":1},{"n":2}],"flag":true,"none":null}"""), new()
        {
            ["integration.request.header.x"] = source,
        });

        Assert.Equal(expected, resolved.GetValueOrDefault("header.x"));
    }

    [Fact]
    public void NonJsonMessage_HasNoBodyValues_ButOtherSourcesStillApply()
    {
        var resolved = Resolved(Event(RouteEventType.Message, "plain text"), new()
        {
            ["integration.request.header.x"] = "route.request.body.action",
            ["integration.request.header.y"] = "'static value'",
            ["integration.request.querystring.v"] = "stageVariables.backend",
        });

        Assert.Equal(new Dictionary<string, string> { ["header.y"] = "static value", ["query.v"] = "v2" }, resolved);
    }

    [Fact]
    public void HeaderValueThatIsNotPrintableAscii_IsNotSent_ButAsAQueryValueItIs()
    {
        var resolved = Resolved(Event(RouteEventType.Message, """{"name":"Zoë\r\nX-Injected: 1"}"""), new()
        {
            ["integration.request.header.x-name"] = "route.request.body.name",
            ["integration.request.querystring.name"] = "route.request.body.name",
        });

        Assert.Equal(new Dictionary<string, string> { ["query.name"] = "Zoë\r\nX-Injected: 1" }, resolved);
    }

    [Theory]
    [InlineData("integration.request.header.x", "route.request.body.", "'route.request.body.' is not a body path")]
    [InlineData("integration.request.header.x", "route.request.body.a..b", "is not a body path")]
    [InlineData("integration.request.header.x", "context.conectionId", "is not a context variable (connectionId, connectedAt, routeKey, eventType, requestId, extendedRequestId, messageId, apiId, stage, domainName, requestTime, requestTimeEpoch, identity.sourceIp, identity.userAgent, authorizer.principalId, authorizer.KEY) (did you mean 'connectionId'?)")]
    [InlineData("integration.request.header.x", "request.header.auth", "'request.header.auth' is not a mapping source (context.VARIABLE, route.request.header.NAME, route.request.querystring.NAME, route.request.body.PATH, stageVariables.NAME or a 'quoted value')")]
    [InlineData("integration.request.header.x", "static", "is not a mapping source")]
    [InlineData("integration.request.header.x", "route.request.header.a b", "does not end in a parameter name")]
    [InlineData("integration.request.header.x", "route.request.multivalueheader.a", "multi-value sources are not supported")]
    [InlineData("integration.request.header.x", "stageVariables.a-b", "is not a stage variable reference")]
    [InlineData("integration.request.path.x", "context.connectionId", "is not a mapping target")]
    [InlineData("integration.request.header.", "context.connectionId", "does not end in a header name")]
    [InlineData("integration.request.header.x y", "context.connectionId", "does not end in a header name")]
    [InlineData("integration.request.header.Host", "context.connectionId", "'Host' is set by the HTTP connection")]
    [InlineData("integration.request.querystring.", "context.connectionId", "does not end in a query parameter name")]
    public void BadTargetOrSource_IsAnErrorNamingTheTarget(string target, string source, string message)
    {
        var error = Assert.Single(RequestParameterMapping.Validate(new Dictionary<string, string> { [target] = source }));

        Assert.Equal($"RequestParameters:{target}", error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static List<string> Validate(params RouteDefinition[] routes)
    {
        var services = new ServiceCollection();
        services.AddSwitchboard(new ConfigurationBuilder().Build())
            .AddRouteHandler("known", (_, _) => ValueTask.FromResult(RouteResponse.Ok));
        using var provider = services.BuildServiceProvider();
        var options = new SwitchboardOptions { Routes = [.. routes], StageVariables = { ["tenant"] = "blue" } };
        return SwitchboardOptionsValidator.Collect(options, provider, openFileLimit: null);
    }

    private static RouteDefinition Proxy(string routeKey, Dictionary<string, string> parameters) => new()
    {
        RouteKey = routeKey,
        Integration = new IntegrationOptions { Type = "http_proxy", Uri = "http://127.0.0.1:9/x", RequestParameters = parameters },
    };

    [Fact]
    public void RouteDependentMappings_AreErrorsWithTheirKeyPaths()
    {
        var errors = Validate(
            Proxy("$connect", new()
            {
                ["integration.request.header.ok"] = "route.request.header.Authorization",
                ["integration.request.header.body"] = "route.request.body.action",
                ["integration.request.header.who"] = "context.authorizer.principalId",
                ["integration.request.header.v"] = "stageVariables.tenat",
            }),
            Proxy("send", new()
            {
                ["integration.request.header.h"] = "route.request.header.Authorization",
                ["integration.request.querystring.q"] = "route.request.querystring.token",
                ["integration.request.header.ok"] = "route.request.body.action",
            }));

        Assert.Equal(
            [
                "Switchboard:Routes:0:Integration:RequestParameters:integration.request.header.body: $connect has no body; route.request.body is for message routes",
                "Switchboard:Routes:0:Integration:RequestParameters:integration.request.header.who: context.authorizer.* comes from a $connect authorizer, and none is configured",
                "Switchboard:Routes:0:Integration:RequestParameters:integration.request.header.v: refers to stageVariables.tenat, but Switchboard:StageVariables defines no 'tenat' (did you mean 'tenant'?)",
                "Switchboard:Routes:1:Integration:RequestParameters:integration.request.header.h: route.request.header and route.request.querystring are only available on $connect (messages carry neither); map context.* or route.request.body.* here",
                "Switchboard:Routes:1:Integration:RequestParameters:integration.request.querystring.q: route.request.header and route.request.querystring are only available on $connect (messages carry neither); map context.* or route.request.body.* here",
            ],
            errors);
    }

    [Fact]
    public void HttpProxySettings_AreChecked()
    {
        var errors = Validate(
            new RouteDefinition { RouteKey = "a", Integration = new() { Type = "http_proxy", HttpMethod = "FETCH", Uri = "http://127.0.0.1:9/2015-03-31/functions/f/invocations", FunctionName = "f" } },
            new RouteDefinition { RouteKey = "b", Integration = new() { Type = "HTTP_PROXY" } });

        Assert.Equal(
            [
                "Switchboard:Routes:0:Integration:HttpMethod: 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
                "Switchboard:Routes:0:Integration:Uri: is a Lambda Invoke API URL: use Type lambda with Endpoint (the part before /2015-03-31) and FunctionName, which signs the call and reads function errors as Lambda reports them",
                "Switchboard:Routes:0:Integration:FunctionName: is not used by an http_proxy integration: it is for Type lambda, which invokes a Lambda function through the Invoke API",
                "Switchboard:Routes:1:Integration:Uri: is required for an http_proxy integration",
            ],
            errors);
    }

    [Fact]
    public void SettingsOfAnotherKind_NameTheKindTheyBelongTo()
    {
        var parameters = new Dictionary<string, string> { ["integration.request.header.id"] = "context.connectionId" };
        var errors = Validate(
            new RouteDefinition { RouteKey = "a", Integration = new() { Type = "http", Uri = "http://127.0.0.1:9/x", RequestParameters = parameters, HttpMethod = "GET" } },
            new RouteDefinition { RouteKey = "b", Integration = new() { Type = "lambda", FunctionName = "f", StatusCode = 403, Body = "no" } },
            new RouteDefinition { RouteKey = "c", Integration = new() { Type = "mock", StatusCode = 99, Uri = "http://127.0.0.1:9/x", MaxConcurrency = 1 } },
            new RouteDefinition { RouteKey = "d", Integration = new() { Type = "inprocess", Handler = "known", RequestParameters = parameters } });

        Assert.Equal(
            [
                "Switchboard:Routes:0:Integration:HttpMethod: is not used by an http integration: it is for Type http_proxy, which sends the message itself with the values mapped in RequestParameters; http and lambda send the whole Lambda-proxy event instead",
                "Switchboard:Routes:0:Integration:RequestParameters: is not used by an http integration: it is for Type http_proxy, which sends the message itself with the values mapped in RequestParameters; http and lambda send the whole Lambda-proxy event instead",
                "Switchboard:Routes:1:Integration:StatusCode: is not used by a lambda integration: it is for Type mock, a fixed answer without a backend",
                "Switchboard:Routes:1:Integration:Body: is not used by a lambda integration: it is for Type mock, a fixed answer without a backend",
                "Switchboard:Routes:2:Integration:StatusCode: 99 is outside 200 to 599 (a 2xx accepts, any other refuses a $connect with it)",
                "Switchboard:Routes:2:Integration:Uri: is not used by a mock integration: it is the URL or headers of Type http (POSTs the Lambda-proxy event) or http_proxy (sends the message itself)",
                "Switchboard:Routes:2:Integration:MaxConcurrency: is not used by a mock integration: it is a limit on calls to a backend of Type http, http_proxy or lambda",
                "Switchboard:Routes:3:Integration:RequestParameters: is not used by an inprocess integration: it is for Type http_proxy, which sends the message itself with the values mapped in RequestParameters; http and lambda send the whole Lambda-proxy event instead",
            ],
            errors);
    }

    [Fact]
    public void HttpProxyAsAnAuthorizersIntegration_IsAnError()
    {
        var errors = Validate(new RouteDefinition
        {
            RouteKey = "$connect",
            Integration = new() { Type = "mock" },
            Authorizer = new AuthorizerOptions
            {
                Type = "request",
                IdentitySource = ["route.request.header.Authorization"],
                Integration = new() { Type = "http_proxy", Uri = "http://127.0.0.1:9/authorize" },
            },
        });

        Assert.Equal(["Switchboard:Routes:0:Authorizer:Integration:Type: an http_proxy integration cannot answer an authorizer: it does not send the authorizer event; use Type http or lambda"], errors);
    }

    [Fact]
    public void AuthorizerValues_AreAllowed_WhenTheConnectRouteHasAnAuthorizer()
    {
        var errors = Validate(
            new RouteDefinition
            {
                RouteKey = "$connect",
                Integration = new() { Type = "mock" },
                Authorizer = new AuthorizerOptions
                {
                    Type = "request",
                    IdentitySource = ["route.request.header.Authorization"],
                    Integration = new() { Type = "mock", Body = "{}" },
                },
            },
            Proxy("send", new() { ["integration.request.header.user"] = "context.authorizer.principalId" }));

        Assert.Empty(errors);
    }
}
