using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>--watch</c> on the real executable: the definition file in a temporary directory is rewritten while clients stay
/// connected, and each test awaits the gateway's log line for the reload before it checks the routes.
/// </summary>
public sealed class DefinitionReloadTests
{
    private const string Reloaded = "Reloaded the definition";
    private const string NotApplied = "changed but was not applied";
    private const string NeedsRestart = "need a restart";

    private static readonly object WhoAmI = new { RouteKey = "whoami", Integration = new { Type = "inprocess", Handler = "demo.whoami" }, TwoWay = true };
    private static readonly object Ping = new { RouteKey = "ping", Integration = new { Type = "mock", Body = "pong" }, TwoWay = true };

    [Fact]
    public async Task Watch_AddedRoute_AnswersTheNextMessage_OnAConnectionOpenedBefore()
    {
        using var directory = new TemporaryDirectory();
        var definition = await WriteAsync(directory, "production", WhoAmI);
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();
        var id = await client.WhoAmIAsync();
        await client.SendTextAsync("""{"action":"ping"}""");
        Assert.Contains("Forbidden", await client.ReceiveTextAsync(), StringComparison.Ordinal);

        await WriteAsync(directory, "production", WhoAmI, Ping);
        await server.WaitForOutputAsync(Reloaded);

        Assert.Contains("1 route(s) added, 0 removed, 0 changed", server.Output, StringComparison.Ordinal);
        await client.SendTextAsync("""{"action":"ping"}""");
        Assert.Equal("pong", await client.ReceiveTextAsync());
        Assert.Equal(id, await client.WhoAmIAsync());
    }

    [Fact]
    public async Task Watch_IntegrationUriChange_TakesEffectForTheNextMessage_WhileTheMessageInFlightFinishesOnTheOldOne()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Respond("first", async _ =>
        {
            entered.TrySetResult();
            await release.Task;
            return (200, """{"statusCode":200,"body":"from first"}""");
        });
        backend.RespondWithResult("second", 200, "from second");
        object Echo(string path) => new { RouteKey = "echo", Integration = new { Type = "http", Uri = backend.UriFor(path).ToString() }, TwoWay = true };
        var definition = await WriteAsync(directory, "production", Echo("first"));
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();
        await client.SendTextAsync("""{"action":"echo"}""");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await WriteAsync(directory, "production", Echo("second"));
        await server.WaitForOutputAsync(Reloaded);

        Assert.Contains("0 route(s) added, 0 removed, 1 changed", server.Output, StringComparison.Ordinal);
        await client.SendTextAsync("""{"action":"echo"}""");
        Assert.Equal("from second", await client.ReceiveTextAsync());
        release.SetResult();
        Assert.Equal("from first", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Watch_InvalidDefinition_KeepsTheRunningRoutes_AndLogsEveryErrorByKey()
    {
        using var directory = new TemporaryDirectory();
        var definition = await WriteAsync(directory, "production", WhoAmI);
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();
        var id = await client.WhoAmIAsync();

        await WriteAsync(directory, "production", WhoAmI, new { RouteKey = "ping", Integration = new { Type = "htp" }, Unknown = 1 });
        await server.WaitForOutputAsync(NotApplied);
        var warning = server.Output.Split('\n').Single(line => line.Contains(NotApplied, StringComparison.Ordinal));
        Assert.Contains("Switchboard:Routes:1:Integration:Type", warning, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Routes:1:Unknown", warning, StringComparison.Ordinal);
        Assert.Equal(id, await client.WhoAmIAsync());

        // Half a file, as an editor might leave it for a moment: not JSON, reported with its position.
        await File.WriteAllTextAsync(definition, """{ "Switchboard": { "Routes": [ """);
        await server.WaitForOutputAsync(NotApplied, times: 2);
        Assert.Contains("is not valid JSON: line 1", server.Output, StringComparison.Ordinal);
        Assert.Equal(id, await client.WhoAmIAsync());
        await using var newcomer = await server.ConnectAsync();
        Assert.NotEqual(id, await newcomer.WhoAmIAsync());
        Assert.DoesNotContain(Reloaded, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_StageChange_IsReportedAsNeedingARestart_AndNotApplied_WhileRouteChangesAre()
    {
        using var directory = new TemporaryDirectory();
        var definition = await WriteAsync(directory, "production", WhoAmI);
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);

        await WriteAsync(directory, "dev", WhoAmI, Ping);
        await server.WaitForOutputAsync(Reloaded);

        var warning = server.Output.Split('\n').Single(line => line.Contains(NeedsRestart, StringComparison.Ordinal));
        Assert.EndsWith(": Switchboard:Stage", warning.TrimEnd(), StringComparison.Ordinal);
        await using var client = await server.ConnectAsync("production");
        await client.SendTextAsync("""{"action":"ping"}""");
        Assert.Equal("pong", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task WithoutWatch_ChangesAreNotApplied()
    {
        using var directory = new TemporaryDirectory();
        using var watchingDirectory = new TemporaryDirectory();
        var definition = await WriteAsync(directory, "production", WhoAmI);
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition]);
        // A second gateway on the same file with --watch tells when the change has been seen.
        await using var watching = await ServerProcess.StartAsync(watchingDirectory.Path, ["--definition", definition, "--watch"]);

        await WriteAsync(directory, "production", WhoAmI, Ping);
        await watching.WaitForOutputAsync(Reloaded);

        await using var client = await server.ConnectAsync();
        await client.SendTextAsync("""{"action":"ping"}""");
        Assert.Contains("Forbidden", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Watching the definition", server.Output, StringComparison.Ordinal);
    }

    private static async Task<string> WriteAsync(TemporaryDirectory directory, string stage, params object[] routes)
    {
        var path = Path.Combine(directory.Path, "api.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { Switchboard = new { Stage = stage, Routes = routes } }));
        return path;
    }
}
