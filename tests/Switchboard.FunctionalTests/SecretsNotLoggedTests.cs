using System.Net;
using Switchboard.Management.Authentication;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// No secret reaches the log, with every Switchboard category at Trace: integration headers, AWS credentials of a
/// lambda integration, management API keys and SigV4 secrets (right and wrong ones presented), and the tokens a
/// client sends in its handshake's headers and query string — through success, integration failures and refusals.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class SecretsNotLoggedTests : IDisposable
{
    private const string IntegrationHeaderSecret = "integration-header-secret-7f3a";
    private const string LambdaSecretKey = "lambda-secret-access-key-91c2";
    private const string LambdaSessionToken = "lambda-session-token-5d8e";
    private const string ApiKey = "management-api-key-secret-0b4f";
    private const string WrongApiKey = "presented-wrong-api-key-6a1d";
    private const string CredentialSecret = "management-credential-secret-c9e7";
    private const string WrongCredentialSecret = "presented-wrong-secret-2e5b";
    private const string ClientHeaderToken = "client-authorization-token-8f0c";
    private const string ClientQueryToken = "client-query-token-3b9a";

    private static readonly string[] Secrets =
        [IntegrationHeaderSecret, LambdaSecretKey, LambdaSessionToken, ApiKey, WrongApiKey, CredentialSecret, WrongCredentialSecret, ClientHeaderToken, ClientQueryToken];

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task EverySecret_StaysOutOfTheLog_AtTrace_ThroughSuccessFailuresAndRefusals()
    {
        await using var backend = await RecordingBackend.StartAsync();
        backend.Respond("fail", 500, "backend crashed");
        backend.Respond("2015-03-31/functions/chat/invocations", 200, """{"errorType":"TypeError","errorMessage":"boom"}""");
        var definition = Path.Combine(_directory.Path, "api.json");
        await File.WriteAllTextAsync(definition, $$"""
            {"Switchboard": {"Stage": "production", "RouteSelectionExpression": "$request.body.action", "Routes": [
              {"RouteKey": "$connect", "Integration": {"Type": "http", "Uri": "{{backend.UriFor("connect")}}", "Headers": {"x-backend-secret": "{{IntegrationHeaderSecret}}"} } },
              {"RouteKey": "fail", "Integration": {"Type": "http", "Uri": "{{backend.UriFor("fail")}}", "Headers": {"x-backend-secret": "{{IntegrationHeaderSecret}}"} } },
              {"RouteKey": "lambda", "Integration": {"Type": "lambda", "Endpoint": "{{backend.BaseUri.ToString().TrimEnd('/')}}", "FunctionName": "chat"} },
              {"RouteKey": "$default", "Integration": {"Type": "inprocess", "Handler": "demo.echo"}, "TwoWay": true} ] } }
            """);
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Switchboard"] = "Trace",
            ["AWS_ACCESS_KEY_ID"] = "AKIDLAMBDATEST",
            ["AWS_SECRET_ACCESS_KEY"] = LambdaSecretKey,
            ["AWS_SESSION_TOKEN"] = LambdaSessionToken,
            ["Switchboard__Management__Authentication__ApiKeys__0"] = ApiKey,
            ["Switchboard__Management__Authentication__Credentials__AKIDMANAGEMENT"] = CredentialSecret,
        };
        await using var gateway = await ServerProcess.StartAsync(_directory.Path, ["--definition", definition], environment: environment);

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {ClientHeaderToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/production?token={ClientQueryToken}"), CancellationToken.None);
        await using var client = new TestClient(socket);
        var connect = await backend.NextEventAsync("$connect");
        Assert.Equal(IntegrationHeaderSecret, connect.Headers["x-backend-secret"]);

        await client.SendTextAsync("""{"action":"fail"}""");
        Assert.Contains("Internal server error", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync("""{"action":"lambda"}""");
        Assert.Contains("Internal server error", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Credential=AKIDLAMBDATEST/", (await backend.NextEventAsync("lambda")).Headers["Authorization"], StringComparison.Ordinal);

        using var http = new HttpClient();
        var connection = new Uri($"{gateway.ManagementEndpoint()}/@connections/{connect.ConnectionId}");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, connection, request => request.Headers.Add("x-api-key", ApiKey)));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(http, connection, request => request.Headers.Add("x-api-key", WrongApiKey)));
        Assert.Equal(HttpStatusCode.OK, await SignedGetAsync(http, connection, CredentialSecret));
        Assert.Equal(HttpStatusCode.Forbidden, await SignedGetAsync(http, connection, WrongCredentialSecret));

        await client.CloseAsync();
        Assert.Equal(0, await gateway.TerminateAsync(TimeSpan.FromSeconds(20)));

        var log = gateway.Output;
        Assert.Contains("TypeError", log, StringComparison.Ordinal);
        Assert.All(Secrets, secret => Assert.DoesNotContain(secret, log, StringComparison.Ordinal));
    }

    private static async Task<HttpStatusCode> GetAsync(HttpClient http, Uri uri, Action<HttpRequestMessage> authenticate)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        authenticate(request);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> SignedGetAsync(HttpClient http, Uri uri, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        await SigV4Signer.SignAsync(request, new AwsCredentials("AKIDMANAGEMENT", secret, null), "us-east-1", "execute-api", DateTimeOffset.UtcNow, CancellationToken.None);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
