using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The CLI against a gateway whose management API requires authentication (credentials from the gateway's
/// environment, an API key from its command line): it signs with the usual AWS variables or sends an API key, and a
/// refusal is one line and exit code 1.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class CliAuthenticationTests : IAsyncLifetime
{
    private const string AccessKeyId = "AKIACLITEST";
    private const string Secret = "cli/test+secret=";
    private const string ApiKey = "cli-operator-key-0123456789";

    private readonly TemporaryDirectory _directory = new();
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(
        _directory.Path,
        [$"--Switchboard:Management:Authentication:ApiKeys:0={ApiKey}", "--Switchboard:Management:Authentication:Region=eu-west-1"],
        environment: new Dictionary<string, string> { [$"Switchboard__Management__Authentication__Credentials__{AccessKeyId}"] = Secret });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Send_SignedWithTheAwsVariables_IsDelivered_IncludingASessionToken()
    {
        await using var client = await _server.ConnectAsync();
        var id = await client.WhoAmIAsync();

        var (exitCode, output) = await RunCliAsync(Aws(Secret), "send", id, "signed by the CLI");
        Assert.True(exitCode == 0, output);
        Assert.Equal("signed by the CLI", await client.ReceiveTextAsync());

        var withToken = Aws(Secret);
        withToken["AWS_SESSION_TOKEN"] = "a-session-token";
        Assert.Equal(0, (await RunCliAsync(withToken, "send", id, "with a session token")).ExitCode);
        Assert.Equal("with a session token", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task ConnectionsAndBroadcast_SignedWithTheAwsVariables_Work()
    {
        await using var client = await _server.ConnectAsync();
        var id = await client.WhoAmIAsync();

        // A query string (limit=1000) is part of what is signed.
        var (listed, listing) = await RunCliAsync(Aws(Secret), "connections");
        Assert.True(listed == 0, listing);
        Assert.Contains(id, listing, StringComparison.Ordinal);

        var (broadcast, output) = await RunCliAsync(Aws(Secret), "broadcast", "to all, signed");
        Assert.True(broadcast == 0, output);
        Assert.Equal("to all, signed", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Send_WithAnApiKey_FromTheOptionOrTheVariable_IsDelivered()
    {
        await using var client = await _server.ConnectAsync();
        var id = await client.WhoAmIAsync();

        Assert.Equal(0, (await RunCliAsync(NoCredentials(), "send", id, "by option", "--api-key", ApiKey)).ExitCode);
        Assert.Equal("by option", await client.ReceiveTextAsync());

        var variable = NoCredentials();
        variable["SWITCHBOARD_API_KEY"] = ApiKey;
        Assert.Equal(0, (await RunCliAsync(variable, "send", id, "by variable")).ExitCode);
        Assert.Equal("by variable", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("no credentials", "MissingAuthenticationTokenException")]
    [InlineData("wrong secret", "InvalidSignatureException")]
    [InlineData("wrong region", "InvalidSignatureException")]
    [InlineData("wrong api key", "ForbiddenException")]
    public async Task Refusal_IsOneClearLine_AndExitCode1_AndDeliversNothing(string mistake, string errorType)
    {
        await using var client = await _server.ConnectAsync();
        var id = await client.WhoAmIAsync();
        var (environment, extra) = mistake switch
        {
            "no credentials" => (NoCredentials(), Array.Empty<string>()),
            "wrong secret" => (Aws("not-the-secret"), []),
            "wrong region" => (Aws(Secret, region: "us-east-1"), []),
            _ => (NoCredentials(), ["--api-key", ApiKey + "x"]),
        };

        var (exitCode, output) = await RunCliAsync(environment, ["send", id, "refused", .. extra]);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"Not authenticated (403 {errorType}): ", line, StringComparison.Ordinal);
        Assert.Contains("--api-key", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, line, StringComparison.Ordinal);

        Assert.Equal(0, (await RunCliAsync(Aws(Secret), "send", id, "marker")).ExitCode);
        Assert.Equal("marker", await client.ReceiveTextAsync());
    }

    private static Dictionary<string, string> Aws(string secret, string region = "eu-west-1") => new(NoCredentials())
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = secret,
        ["AWS_REGION"] = region,
    };

    /// <summary>Clears whatever the machine running the tests has set.</summary>
    private static Dictionary<string, string> NoCredentials() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = "",
        ["AWS_SECRET_ACCESS_KEY"] = "",
        ["AWS_SESSION_TOKEN"] = "",
        ["AWS_REGION"] = "",
        ["AWS_DEFAULT_REGION"] = "",
        ["SWITCHBOARD_API_KEY"] = "",
    };

    private Task<(int ExitCode, string Output)> RunCliAsync(Dictionary<string, string> environment, params string[] command) =>
        ServerProcess.RunToExitAsync(_directory.Path, [.. command, "--endpoint", _server.ManagementEndpoint()], environment);
}
