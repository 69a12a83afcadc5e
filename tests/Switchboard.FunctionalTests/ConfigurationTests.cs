using System.Net;
using System.Net.WebSockets;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// How the executable treats its API definition: every error listed with its key path before anything
/// listens, <c>config check</c>, and the ways to choose and override a definition.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class ConfigurationTests : IDisposable
{
    /// <summary>Seven independent mistakes; each must be reported, none may hide another.</summary>
    private const string BrokenDefinition = """
        {
          "Switchboard": {
            "RouteSelectionExpression": "$request.header.x",
            "Routes": [
              { "RouteKey": "first", "Integration": { "Type": "lamda" } },
              { "RouteKey": "second", "Integration": { "Type": "http", "Uri": "not a url" } },
              { "RouteKey": "$custom", "Integration": { "Type": "inprocess", "Handler": "demo.echo" } },
              { "RouteKey": "first", "Integration": { "Type": "inprocess", "Handler": "demo.echo" } },
              { "RouteKey": "third", "Integration": { "Type": "inprocess", "Handler": "no.such.handler" } }
            ],
            "Limits": { "MaxMessageBytes": -1 }
          }
        }
        """;

    private static readonly string[] BrokenDefinitionKeys =
    [
        "Switchboard:RouteSelectionExpression",
        "Switchboard:Routes:0:Integration:Type",
        "Switchboard:Routes:1:Integration:Uri",
        "Switchboard:Routes:2:RouteKey",
        "Switchboard:Routes:3:RouteKey",
        "Switchboard:Routes:4:Integration:Handler",
        "Switchboard:Limits:MaxMessageBytes",
    ];

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task BrokenDefinition_StopsStartup_ListingEveryErrorWithItsKeyPath()
    {
        var file = Write("broken.json", BrokenDefinition);

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
        Assert.Contains("configuration has errors", output, StringComparison.Ordinal);
        Assert.Equal(BrokenDefinitionKeys, ReportedKeys(output));
        Assert.Contains("'lamda'", output, StringComparison.Ordinal);
        Assert.Contains("'not a url'", output, StringComparison.Ordinal);
        Assert.Contains("'$custom'", output, StringComparison.Ordinal);
        Assert.Contains("already defined by Routes:0", output, StringComparison.Ordinal);
        Assert.Contains("'no.such.handler'", output, StringComparison.Ordinal);
        Assert.Contains("$request.header.x", output, StringComparison.Ordinal);
        Assert.Contains("-1", output, StringComparison.Ordinal);
    }

    [Theory]
    // Unknown keys:
    [InlineData("""{ "Switchboard": { "Stagee": "dev" } }""", "Switchboard:Stagee: unknown key (did you mean 'Stage'?)")]
    [InlineData("""{ "Switchboard": { "Limits": { "MaxMessageByte": 10 } } }""", "Switchboard:Limits:MaxMessageByte: unknown key (did you mean 'MaxMessageBytes'?)")]
    [InlineData("""{ "Switchboard": { "Routes": [ { "RouteKey": "$default", "Integraton": { "Type": "inprocess", "Handler": "demo.echo" } } ] } }""", "Switchboard:Routes:0:Integraton: unknown key")]
    // Values of the wrong type:
    [InlineData("""{ "Switchboard": { "Limits": { "MaxMessageBytes": "lots" } } }""", "Switchboard:Limits:MaxMessageBytes")]
    [InlineData("""{ "Switchboard": { "Routes": [ { "RouteKey": "$default", "TwoWay": "maybe", "Integration": { "Type": "inprocess", "Handler": "demo.echo" } } ] } }""", "Switchboard:Routes:0:TwoWay")]
    public async Task UnknownKeyOrValueOfTheWrongType_StopsStartup_NamingTheKey(string json, string key)
    {
        var file = Write("definition.json", json);

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains(key, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownKeysAndWrongTypes_AreAllListedInOneRun()
    {
        var file = Write("shape.json", """{ "Switchboard": { "Stagee": "dev", "Limits": { "IdleTimeout": "ten minutes" }, "Routes": [ { "RouteKey": "x", "TwoWay": "maybe" } ] } }""");

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Switchboard:Stagee: unknown key", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Limits:IdleTimeout: 'ten minutes' is not a valid time span", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:TwoWay: 'maybe' is not a valid boolean", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReferenceConfiguration_InDocs_PassesConfigCheck()
    {
        var reference = Path.Combine(RepositoryRoot.Path, "docs", "switchboard.reference.json");

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", reference]);

        Assert.True(exitCode == 0, output);
        Assert.Contains("OK", output, StringComparison.Ordinal);
        Assert.Contains("4 route(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_LambdaAndHttpIntegrationMixUps_NameEachKey_AndPointToTheRightKind()
    {
        var file = Write("lambda.json", """
            { "Switchboard": { "Routes": [
                { "RouteKey": "$connect", "Integration": { "Type": "lambda", "FunctionName": "my function", "Qualifier": "v 2", "Endpoint": "localhost:3001", "Region": "Mars", "MaxConcurrency": 0, "Uri": "http://127.0.0.1:3001" } },
                { "RouteKey": "$default", "Integration": { "Type": "http", "Uri": "http://127.0.0.1:3001/2015-03-31/functions/chat/invocations", "FunctionName": "chat", "MaxQueue": 5 } },
                { "RouteKey": "send", "Integration": { "Type": "lambda" } }
            ] } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.Equal(2, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Routes:0:Integration:FunctionName: 'my function' is not a function name", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:Qualifier: 'v 2' is not a version or alias", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:Endpoint: 'localhost:3001' is not an absolute http or https URL", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:Region: 'Mars' is not a region name", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:MaxConcurrency: 0 is outside 1 to 10000", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:Uri: is not used by a lambda integration", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Integration:Uri: is a Lambda Invoke API URL: use Type lambda", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Integration:FunctionName: is not used by an http integration", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Integration:MaxQueue: has no effect without MaxConcurrency", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:2:Integration:FunctionName: is required for a lambda integration", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_HttpProxyAndMockMixUps_NameEachKey_AndPointToTheRightKind()
    {
        var file = Write("proxy.json", """
            { "Switchboard": { "Routes": [
                { "RouteKey": "$connect", "Integration": { "Type": "http_proxy", "Uri": "http://127.0.0.1:9000/connect", "HttpMethod": "SEND",
                  "RequestParameters": { "integration.request.header.x-id": "route.request.body.", "integration.request.header.x-user": "context.authorizer.principalId" } } },
                { "RouteKey": "send", "Integration": { "Type": "http", "Uri": "http://127.0.0.1:9000/send", "RequestParameters": { "integration.request.header.x-id": "context.connectionId" } } },
                { "RouteKey": "$default", "Integration": { "Type": "http_proxy", "Uri": "http://127.0.0.1:9000/2015-03-31/functions/chat/invocations", "FunctionName": "chat",
                  "RequestParameters": { "integration.request.querystring.token": "route.request.querystring.token" } } },
                { "RouteKey": "$disconnect", "Integration": { "Type": "mock", "StatusCode": 700, "Handler": "demo.echo" } }
            ] } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.Equal(2, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Routes:0:Integration:HttpMethod: 'SEND' is not one of GET, POST", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:RequestParameters:integration.request.header.x-id: 'route.request.body.' is not a body path", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:RequestParameters:integration.request.header.x-user: context.authorizer.* comes from a $connect authorizer, and none is configured", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Integration:RequestParameters: is not used by an http integration: it is for Type http_proxy", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:2:Integration:Uri: is a Lambda Invoke API URL: use Type lambda", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:2:Integration:FunctionName: is not used by an http_proxy integration: it is for Type lambda", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:2:Integration:RequestParameters:integration.request.querystring.token: route.request.header and route.request.querystring are only available on $connect", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:3:Integration:StatusCode: 700 is outside 200 to 599", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:3:Integration:Handler: is not used by a mock integration: it is for Type inprocess", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_BadManagementAuthentication_NamesEachKey_NeverASecret()
    {
        var file = Write("auth.json", """
            { "Switchboard": { "Management": { "Authentication": {
                "Credentials": { "AKIA-BAD": "the-secret-value", "AKIAEMPTY": "" },
                "ApiKeys": [ "too-short-key" ],
                "Region": "Mars",
                "Credential": "x"
            } } } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.Equal(2, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Management:Authentication:Credential: unknown key (did you mean 'Credentials'?)", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Management:Authentication:Credentials:AKIA-BAD: an access key id has letters and digits only", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Management:Authentication:Credentials:AKIAEMPTY: the secret access key must not be empty", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Management:Authentication:ApiKeys:0: an API key must be at least 16", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Management:Authentication:Region: 'Mars' is not a region name", output, StringComparison.Ordinal);
        Assert.DoesNotContain("the-secret-value", output, StringComparison.Ordinal);
        Assert.DoesNotContain("too-short-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_UnknownKey_FailsNamingTheKey()
    {
        var file = Write("typo.json", """{ "Switchboard": { "Stagee": "dev" } }""");

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Stagee", output, StringComparison.Ordinal);
    }

    /// <summary>Found by the definition fuzzer: a JSON null for an integration's Type was a NullReferenceException with a stack trace.</summary>
    [Fact]
    public async Task ConfigCheck_NullValues_AreReportedAsEmpty_NamingTheKeys()
    {
        var file = Write("nulls.json", """
            { "Switchboard": { "Stage": null, "Routes": [
              { "RouteKey": null, "Integration": { "Type": null } },
              { "RouteKey": "$connect", "Integration": { "Type": "http", "Uri": "http://127.0.0.1:1/connect" }, "Authorizer": { "Type": null } } ] } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.Equal(2, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Stage", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:RouteKey", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Integration:Type", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Authorizer:Type", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_BadAuthorizer_FailsNamingEachKey()
    {
        var file = Write("authorizer.json", """
            { "Switchboard": { "Routes": [ { "RouteKey": "$connect", "Integration": { "Type": "inprocess", "Handler": "demo.echo" },
              "Authorizer": { "Type": "jwt", "IdentitySource": [ "route.request.heder.x" ], "Jwt": { "ClockSkew": "soon", "Issuerr": "x" } } } ] } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Routes:0:Authorizer:IdentitySource:0: 'route.request.heder.x' is not an identity source", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Authorizer:Jwt:Issuerr: unknown key (did you mean 'Issuer'?)", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Authorizer:Jwt:ClockSkew: 'soon' is not a valid time span", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Authorizer:Jwt:Issuer: is required", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Authorizer:Jwt:Audiences:", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:0:Authorizer:Jwt:JwksUri:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_UndefinedStageVariableOrBadBasePath_FailsNamingTheKey()
    {
        var file = Write("stage-variables.json", """
            { "Switchboard": { "BasePath": "a/b", "StageVariables": { "backend": "127.0.0.1:9", "bad-name": "x" },
              "Routes": [ { "RouteKey": "$default", "Integration": { "Type": "http", "Uri": "http://${stageVariables.backend}/${stageVariables.backnd}" } } ] } }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Routes:0:Integration:Uri: refers to ${stageVariables.backnd}, but Switchboard:StageVariables defines no 'backnd' (did you mean 'backend'?)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("${stageVariables.backend}", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:StageVariables:bad-name: 'bad-name' is not a valid stage variable name", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:BasePath: 'a/b' is not a base path", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefinitionThatIsNotJson_StopsStartup_WithAClearMessage()
    {
        var file = Write("not-json.json", "Switchboard:\n  Stage: production\n");

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("not valid JSON", output, StringComparison.Ordinal);
        Assert.Contains(file, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonSyntaxError_IsReportedWithTheParsersLineAndColumn()
    {
        var file = Write("trailing-comma.json", "{\n  \"Switchboard\": {\n    \"Stage\": \"dev\",,\n  }\n}\n");

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        StartupFailureTests.AssertOneLineFailure(exitCode, output, $"the definition file {file} is not valid JSON: line 3, column 20: ");
    }

    [Fact]
    public async Task MissingDefinitionFile_StopsStartup_NamingTheFile()
    {
        var file = Path.Combine(_directory.Path, "nowhere.json");

        var (exitCode, output) = await RunServerAsync(["--definition", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains(file, output, StringComparison.Ordinal);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_DemoDefinition_ExitsZeroAndSaysOk()
    {
        var demo = Path.Combine(AppContext.BaseDirectory, "demo-api.json");

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", demo]);

        Assert.True(exitCode == 0, output);
        Assert.Contains("OK", output, StringComparison.Ordinal);
        Assert.Contains("'production'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_BrokenDefinition_FailsListingEveryErrorWithItsKeyPath()
    {
        var file = Write("broken.json", BrokenDefinition);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("OK", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
        Assert.Contains(file, output, StringComparison.Ordinal);
        Assert.Equal(BrokenDefinitionKeys, ReportedKeys(output));
    }

    [Fact]
    public async Task ConfigCheck_BadSecurityAndRateLimitValues_AreNamedWithTheirKeys()
    {
        var file = Write("network.json", """
            {
              "Switchboard": {
                "Security": { "AllowedOrigins": ["app.example"], "TrustedProxies": ["10.0.0.0/8", "10.0.0.0/40"] },
                "RateLimits": { "ConnectionsPerAddress": { "PerSecond": -5 }, "Connections": { "PerSecond": "fast" }, "MessagesPerConnection": { "PerSecnd": 3 } }
              }
            }
            """);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["config", "check", file]);

        Assert.NotEqual(0, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Switchboard:Security:AllowedOrigins:0: 'app.example' is not a web origin", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Security:TrustedProxies:1: '10.0.0.0/40' is not an IP address or a network", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:RateLimits:ConnectionsPerAddress:PerSecond: must be zero (off) or positive (got -5)", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:RateLimits:Connections:PerSecond: 'fast' is not a valid whole number", output, StringComparison.Ordinal);
        Assert.Contains("Switchboard:RateLimits:MessagesPerConnection:PerSecnd: unknown key (did you mean 'PerSecond'?)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TrustedProxies:0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefinitionEnvironmentVariable_SelectsTheDefinition()
    {
        var file = Write("from-env.json", StageDefinition("fromenv"));

        await using var server = await ServerProcess.StartAsync(_directory.Path, [], environment: new Dictionary<string, string> { ["SWITCHBOARD_DEFINITION"] = file });

        await AssertServesStageAsync(server, "fromenv", notStage: "production");
    }

    [Fact]
    public async Task DefinitionOption_WinsOverTheEnvironmentVariable()
    {
        var fromEnvironment = Write("broken.json", BrokenDefinition);
        var fromOption = Write("option.json", StageDefinition("fromoption"));

        await using var server = await ServerProcess.StartAsync(
            _directory.Path,
            ["--definition", fromOption],
            environment: new Dictionary<string, string> { ["SWITCHBOARD_DEFINITION"] = fromEnvironment });

        await AssertServesStageAsync(server, "fromoption", notStage: "production");
    }

    [Fact]
    public async Task EnvironmentVariable_OverridesTheDefinitionsStage()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Path, [], environment: new Dictionary<string, string> { ["Switchboard__Stage"] = "dev" });

        await AssertServesStageAsync(server, "dev", notStage: "production");
    }

    private static string StageDefinition(string stage) => $$"""
        {
          "Switchboard": {
            "Stage": "{{stage}}",
            "Routes": [ { "RouteKey": "whoami", "Integration": { "Type": "inprocess", "Handler": "demo.whoami" }, "TwoWay": true } ]
          }
        }
        """;

    /// <summary>Clients and the management API live at <paramref name="stage"/>, and nothing at <paramref name="notStage"/>.</summary>
    private static async Task AssertServesStageAsync(ServerProcess server, string stage, string notStage)
    {
        await using var client = await server.ConnectAsync(stage);
        var id = await client.WhoAmIAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal([id], await ServerProcessClients.ListAllIdsAsync(http, server.ManagementEndpoint(stage)));

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync(notStage));
        Assert.Contains("404", refused.Message, StringComparison.Ordinal);
        using var wrongStage = await http.GetAsync(new Uri($"{server.ManagementEndpoint(notStage)}/@connections/{Uri.EscapeDataString(id)}"));
        Assert.Equal(HttpStatusCode.Forbidden, wrongStage.StatusCode);
    }

    private async Task<(int ExitCode, string Output)> RunServerAsync(string[] arguments) =>
        await ServerProcess.RunToExitAsync(_directory.Path, [.. arguments, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}"]);

    /// <summary>The key paths of the reported errors, in order: lines that start with <c>Switchboard:</c> after indentation.</summary>
    private static string[] ReportedKeys(string output) =>
        output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("Switchboard:", StringComparison.Ordinal))
            .Select(line => line[..line.IndexOf(": ", StringComparison.Ordinal)])
            .ToArray();

    private static void AssertNoStackTrace(string output) =>
        Assert.False(output.Contains("   at ", StringComparison.Ordinal) || output.Contains("Unhandled exception", StringComparison.Ordinal), output);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, content);
        return path;
    }
}
