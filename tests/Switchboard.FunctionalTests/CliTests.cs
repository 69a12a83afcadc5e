using System.Text.Json;
using Switchboard.Connections;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>The <c>switchboard</c> management commands, run as a separate process against a running gateway.</summary>
[Collection(ServerProcessGroup.Name)]
public sealed class CliTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(_directory.Path, []);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Send_DeliversTheMessageToThatConnectionOnly()
    {
        await using var target = await _server.ConnectAsync();
        await using var bystander = await _server.ConnectAsync();
        var targetId = await target.WhoAmIAsync();
        var bystanderId = await bystander.WhoAmIAsync();

        var (exitCode, output) = await RunCliAsync("send", targetId, "hello from the CLI ✓");

        Assert.True(exitCode == 0, output);
        Assert.Contains(targetId, output, StringComparison.Ordinal);
        Assert.Equal("hello from the CLI ✓", await target.ReceiveTextAsync());

        // The bystander's next message is its own marker, so the CLI's message never reached it.
        Assert.Equal(0, (await RunCliAsync("send", bystanderId, "marker")).ExitCode);
        Assert.Equal("marker", await bystander.ReceiveTextAsync());
    }

    [Fact]
    public async Task Send_ToAGoneConnection_FailsSayingItIsGone()
    {
        await using var client = await _server.ConnectAsync();
        var closedId = await client.WhoAmIAsync();
        await client.CloseAsync();

        foreach (var id in new[] { closedId, ConnectionId.New() })
        {
            var (exitCode, output) = await RunCliAsync("send", id, "anyone?");

            Assert.NotEqual(0, exitCode);
            Assert.Contains("gone", output, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("410", output, StringComparison.Ordinal);
            Assert.Contains(id, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Broadcast_ReachesEveryClient_AndSaysHowMany()
    {
        await using var first = await _server.ConnectAsync();
        await using var second = await _server.ConnectAsync();
        await first.WhoAmIAsync();
        await second.WhoAmIAsync();

        var (exitCode, output) = await RunCliAsync("broadcast", "テスト");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Broadcast to 2 connections.", output, StringComparison.Ordinal);
        Assert.Equal("テスト", await first.ReceiveTextAsync());
        Assert.Equal("テスト", await second.ReceiveTextAsync());
    }

    [Fact]
    public async Task Connections_PrintsATableOfOpenConnections()
    {
        await using var first = await _server.ConnectAsync();
        await using var second = await _server.ConnectAsync();
        var ids = new[] { await first.WhoAmIAsync(), await second.WhoAmIAsync() };

        var (exitCode, output) = await RunCliAsync("connections");

        Assert.True(exitCode == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("CONNECTION ID", lines[0], StringComparison.Ordinal);
        foreach (var id in ids)
        {
            var row = Assert.Single(lines, line => line.StartsWith(id, StringComparison.Ordinal));
            Assert.Contains("127.0.0.1", row, StringComparison.Ordinal);
        }

        Assert.Contains("2 connections open.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionsAsJson_PrintsEachItemAsTheGatewayListsIt_OnePerLine()
    {
        await using var first = await _server.ConnectAsync();
        await using var second = await _server.ConnectAsync();
        await first.WhoAmIAsync();
        await second.WhoAmIAsync();
        using var http = new HttpClient();
        using var listing = JsonDocument.Parse(await http.GetStringAsync(new Uri(_server.ManagementEndpoint() + "/@connections")));
        var listed = listing.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetRawText()).ToList();

        var (exitCode, output) = await RunCliAsync("connections", "--json");

        Assert.True(exitCode == 0, output);
        Assert.Equal(2, listed.Count);
        Assert.Equal(listed, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Theory]
    [InlineData("send", "AAAAAAAAAAAAAAA=", "hello")]
    [InlineData("broadcast", "hello")]
    [InlineData("connections")]
    public async Task UnreachableEndpoint_ExitsWith3_SayingItCannotReachTheGateway(params string[] command)
    {
        var nobody = $"http://127.0.0.1:{ServerProcess.FreePort()}/production";

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, [.. command, "--endpoint", nobody]);

        Assert.Equal(3, exitCode);
        Assert.Contains("Cannot reach the gateway", output, StringComparison.Ordinal);
        Assert.Contains(nobody, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sendd", "send")]
    [InlineData("conections", "connections")]
    public async Task MistypedCommand_IsAnErrorThatSuggestsTheCommand_NotAGatewayStart(string typed, string suggested)
    {
        // Before, any first word that was not a command started a gateway (which then ran until killed).
        var (exitCode, output) = await RunCliAsync(typed, "x");

        Assert.Equal(2, exitCode);
        Assert.Contains($"switchboard: '{typed}' is not a command or option here (did you mean '{suggested}'?).", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--defintion", "my-api.json", "'--defintion' is not a command or option here (did you mean '--definition'?)")]
    [InlineData("--url", "http://127.0.0.1:1", "'--url' is not a command or option here (did you mean '--urls'?)")]
    [InlineData("--Switchbaord:Stage=dev", "--urls=http://127.0.0.1:1", "'--Switchbaord:Stage=dev' sets no configuration the gateway reads (its sections: Switchboard, Logging, Kestrel) (did you mean 'Switchboard'?)")]
    public async Task MistypedGatewayOption_IsAnErrorThatSuggestsTheOption_NotAGatewayStart(string option, string value, string expected)
    {
        // Before, ASP.NET Core took any --key as configuration: a typo was silently ignored and the demo gateway started.
        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, [option, value]);

        Assert.Equal(2, exitCode);
        Assert.Contains("switchboard: " + expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_DocumentsTheGatewayMode_EveryCommand_AndTheExitCodes_UnderTheProgramsName()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["--help"]);

        Assert.Equal(0, exitCode);
        Assert.Contains("switchboard [--definition <file>] [--watch] [--urls <urls>] [--Switchboard:<key>=<value> ...]", output, StringComparison.Ordinal);
        Assert.Contains("switchboard [command] [options]", output, StringComparison.Ordinal);
        foreach (var command in new[] { "send <connectionId> <message>", "broadcast <message>", "connections", "config" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }

        Assert.Contains("Exit codes: 0 success; 1 the gateway refused a command", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Switchboard.Server [", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output)> RunCliAsync(params string[] command) =>
        ServerProcess.RunToExitAsync(_directory.Path, [.. command, "--endpoint", _server.ManagementEndpoint()]);
}
