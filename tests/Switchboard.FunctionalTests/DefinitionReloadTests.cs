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

    [Fact]
    public async Task Watch_LimitAndStageVariableChange_ApplyToAConnectionOpenedBefore_WhichStaysOpen()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var definition = await WriteAsync(directory, RecordedDefault(backend, color: "blue"));
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();
        var large = new string('x', 2000);
        await client.SendTextAsync(large);
        var before = await backend.NextEventAsync("$default");
        Assert.Equal("blue", before.Event.GetProperty("stageVariables").GetProperty("color").GetString());

        await WriteAsync(directory, RecordedDefault(backend, color: "green", limits: new { MaxMessageBytes = 1024, MaxFrameBytes = 1024 }));
        await server.WaitForOutputAsync(Reloaded);

        var applied = server.Output.Split('\n').Single(line => line.Contains(Reloaded, StringComparison.Ordinal));
        Assert.Contains("Limits:MaxFrameBytes, Limits:MaxMessageBytes, StageVariables:color", applied, StringComparison.Ordinal);
        await client.SendTextAsync("small");
        var after = await backend.NextEventAsync("$default");
        Assert.Equal(before.ConnectionId, after.ConnectionId);
        Assert.Equal("green", after.Event.GetProperty("stageVariables").GetProperty("color").GetString());

        // The same message as before the reload is now over the limit: 1009, as for any message too big.
        await client.SendTextAsync(large);
        var (status, reason) = await client.ReceiveCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal("Frame exceeds 1024 bytes", reason);
    }

    [Fact]
    public async Task Watch_InvalidLimit_IsRefusedByKey_AndTheRunningValueKept()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var lowered = new { MaxMessageBytes = 1024, MaxFrameBytes = 1024 };
        var definition = await WriteAsync(directory, RecordedDefault(backend, color: "blue", limits: lowered));
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();

        await WriteAsync(directory, RecordedDefault(backend, color: "green", limits: new { MaxMessageBytes = 0, MaxFrameBytes = 0 }));
        await server.WaitForOutputAsync(NotApplied);

        var warning = server.Output.Split('\n').Single(line => line.Contains(NotApplied, StringComparison.Ordinal));
        Assert.Contains("Switchboard:Limits:MaxMessageBytes", warning, StringComparison.Ordinal);
        await client.SendTextAsync("small");
        Assert.Equal("blue", (await backend.NextEventAsync("$default")).Event.GetProperty("stageVariables").GetProperty("color").GetString());
        await client.SendTextAsync(new string('x', 2000));
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, (await client.ReceiveCloseAsync()).Status);
        Assert.DoesNotContain(Reloaded, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_ReloadDuringAHandshake_TheHandshakeUsesOneTable_ForItsAuthorizerAndItsConnectRoute()
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var authorizing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const string Allow = """{"principalId":"p","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}""";
        backend.Respond("authorize", async _ =>
        {
            authorizing.TrySetResult();
            await release.Task;
            return (200, Allow);
        });
        object Connect(string path) => new
        {
            RouteKey = "$connect",
            Integration = new { Type = "http", Uri = backend.UriFor(path).ToString() },
            Authorizer = new
            {
                Type = "request",
                IdentitySource = new[] { "route.request.querystring.token" },
                Integration = new { Type = "http", Uri = backend.UriFor("authorize").ToString() },
            },
        };
        var definition = await WriteAsync(directory, "production", Connect("connect-old"), WhoAmI);
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        var handshake = socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/production?token=t"), CancellationToken.None);
        await authorizing.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await WriteAsync(directory, "production", Connect("connect-new"), WhoAmI);
        await server.WaitForOutputAsync(Reloaded);
        release.SetResult();
        await handshake.WaitAsync(TimeSpan.FromSeconds(10));

        // The authorizer ran on the old table, so its $connect is the old one too, though the new table was in use by then.
        Assert.Equal("connect-old", (await NextConnectRouteCallAsync(backend)).Path);
        using var later = new System.Net.WebSockets.ClientWebSocket();
        await later.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/production?token=t"), CancellationToken.None);
        Assert.Equal("connect-new", (await NextConnectRouteCallAsync(backend)).Path);
    }

    /// <summary>The next call of a <c>$connect</c> route's integration (the authorizer's calls, also for <c>$connect</c>, are passed over).</summary>
    private static async Task<RecordedEvent> NextConnectRouteCallAsync(RecordingBackend backend)
    {
        while (true)
        {
            var recorded = await backend.NextEventAsync("$connect");
            if (recorded.Path != "authorize")
            {
                return recorded;
            }
        }
    }

    /// <summary>
    /// A Kubernetes ConfigMap volume, as its atomic writer lays it out: the files live in a timestamped directory,
    /// <c>..data</c> links to it, and <c>api.json</c> links to <c>..data/api.json</c>. An update writes a new directory,
    /// links <c>..data_tmp</c> to it, renames that over <c>..data</c> and deletes the old directory; <c>api.json</c>
    /// itself is never touched.
    /// </summary>
    [Fact]
    public async Task Watch_ConfigMapVolumeUpdates_ThroughTheDataLinkSwap_AreApplied()
    {
        using var directory = new TemporaryDirectory();
        var first = PublishConfigMapVersion(directory, "..2026_12_03_10_00_00.000000001", WhoAmI);
        Directory.CreateSymbolicLink(Path.Combine(directory.Path, "..data"), Path.GetFileName(first));
        var definition = Path.Combine(directory.Path, "api.json");
        File.CreateSymbolicLink(definition, Path.Combine("..data", "api.json"));
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition, "--watch"]);
        await using var client = await server.ConnectAsync();
        var id = await client.WhoAmIAsync();

        var second = PublishConfigMapVersion(directory, "..2026_12_03_10_05_00.000000002", WhoAmI, Ping);
        var temporaryLink = Path.Combine(directory.Path, "..data_tmp");
        Directory.CreateSymbolicLink(temporaryLink, Path.GetFileName(second));
        await RenameOverAsync(temporaryLink, Path.Combine(directory.Path, "..data"));
        Directory.Delete(first, recursive: true);
        await server.WaitForOutputAsync(Reloaded);

        await client.SendTextAsync("""{"action":"ping"}""");
        Assert.Equal("pong", await client.ReceiveTextAsync());
        Assert.Equal(id, await client.WhoAmIAsync());
        // The watch outlives the swap: the next update (back to one route) is applied too, with one line per update.
        var third = PublishConfigMapVersion(directory, "..2026_12_03_10_10_00.000000003", WhoAmI);
        Directory.CreateSymbolicLink(temporaryLink, Path.GetFileName(third));
        await RenameOverAsync(temporaryLink, Path.Combine(directory.Path, "..data"));
        await server.WaitForOutputAsync(Reloaded, times: 2);
        Assert.Equal(2, server.Output.Split('\n').Count(line => line.Contains(Reloaded, StringComparison.Ordinal)));
        Assert.Contains("0 route(s) added, 1 removed", server.Output, StringComparison.Ordinal);
    }

    /// <summary>rename(2) of a link over a link, as the atomic writer does (File.Move follows a link to a directory).</summary>
    private static async Task RenameOverAsync(string source, string destination)
    {
        using var move = System.Diagnostics.Process.Start("mv", ["-T", source, destination]);
        await move.WaitForExitAsync();
        Assert.Equal(0, move.ExitCode);
    }

    private static string PublishConfigMapVersion(TemporaryDirectory directory, string name, params object[] routes)
    {
        var version = Directory.CreateDirectory(Path.Combine(directory.Path, name)).FullName;
        File.WriteAllText(Path.Combine(version, "api.json"), JsonSerializer.Serialize(new { Switchboard = new { Stage = "production", Routes = routes } }));
        return version;
    }

    /// <summary>A definition whose <c>$default</c> posts each message's event to <paramref name="backend"/>, with one stage variable.</summary>
    private static object RecordedDefault(RecordingBackend backend, string color, object? limits = null) => new
    {
        Stage = "production",
        StageVariables = new { color },
        // Without limits, an empty section: it must not count as a change when the next file sets some.
        Limits = limits ?? new { },
        Routes = new[] { new { RouteKey = "$default", Integration = new { Type = "http", Uri = backend.UriFor("default").ToString() } } },
    };

    private static async Task<string> WriteAsync(TemporaryDirectory directory, object switchboard)
    {
        var path = Path.Combine(directory.Path, "api.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { Switchboard = switchboard }));
        return path;
    }

    private static Task<string> WriteAsync(TemporaryDirectory directory, string stage, params object[] routes) =>
        WriteAsync(directory, new { Stage = stage, Routes = routes });
}
