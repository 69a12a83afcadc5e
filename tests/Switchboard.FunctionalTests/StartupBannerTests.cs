using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>Once it listens, the executable says what runs and which URLs to open.</summary>
[Collection(ServerProcessGroup.Name)]
public sealed class StartupBannerTests
{
    [Fact]
    public async Task Banner_NamesTheStage_TheRegistryFile_AndTheUrlsToOpen()
    {
        using var directory = new TemporaryDirectory();
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--Switchboard:Stage=dev"]);

        await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("Management", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the banner", () => server.Output);

        var output = server.Output;
        Assert.Contains($"stage 'dev', 4 route(s), registry: sqlite ({Path.Combine(directory.Path, "switchboard.db")})", output, StringComparison.Ordinal);
        Assert.Contains($"WebSocket    ws://127.0.0.1:{server.Port}/dev", output, StringComparison.Ordinal);
        Assert.Contains($"Page         http://127.0.0.1:{server.Port}/", output, StringComparison.Ordinal);
        Assert.Contains($"Console      http://127.0.0.1:{server.Port}/#/console", output, StringComparison.Ordinal);
        Assert.Contains($"Management   http://127.0.0.1:{server.Port}/dev/@connections", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chat", "/chat", "/chat/@connections")]
    [InlineData("", "/", "/@connections")]
    public async Task Banner_UnderABasePath_PrintsTheMountedUrls(string basePath, string webSocketPath, string managementPath)
    {
        using var directory = new TemporaryDirectory();
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--Switchboard:Stage=dev", $"--Switchboard:BasePath={basePath}"]);

        await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("Management", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the banner", () => server.Output);

        var output = server.Output;
        Assert.Contains($"WebSocket    ws://127.0.0.1:{server.Port}{webSocketPath}{Environment.NewLine}", output, StringComparison.Ordinal);
        Assert.Contains($"Management   http://127.0.0.1:{server.Port}{managementPath}", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"{server.Port}/dev", output, StringComparison.Ordinal);
    }
}
