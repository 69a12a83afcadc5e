using System.Net;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// What a load balancer or Kubernetes sees when the real executable gets SIGTERM with a connection open: readiness
/// answers 503 while the connection drains, liveness stays 200, and the process exits 0 once it has drained.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class SigtermDrainTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Sigterm_ReadinessFailsDuringTheDrain_LivenessHolds_ThenTheProcessExitsCleanly()
    {
        await using var gateway = await ServerProcess.StartAsync(_directory.Path, ["--Switchboard:Limits:CloseTimeout=00:00:05"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/@health/ready", UriKind.Relative))).StatusCode);

        // A client that never reads does not answer the close frame: the drain waits CloseTimeout for it.
        await using var client = await RawWebSocketClient.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.Port}/production"), receiveBufferBytes: 1024);
        Assert.Equal(101, client.HandshakeStatusCode);

        var terminated = gateway.TerminateAsync(TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(
            async () => (await http.GetAsync(new Uri("/@health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10),
            "readiness to fail after SIGTERM",
            () => gateway.Output);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/@health/live", UriKind.Relative))).StatusCode);
        Assert.False(terminated.IsCompleted, "the probes ran while the connection drained");

        Assert.Equal(0, await terminated);
    }
}
