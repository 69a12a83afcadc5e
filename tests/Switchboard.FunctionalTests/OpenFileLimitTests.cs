using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The real executable under a low open-file limit (<c>ulimit -n</c>), with a <c>$connect</c> HTTP integration so that
/// integration sockets count too: clients that open connections until the node is full get 503s, and the process
/// stays alive instead of aborting ("Out of memory.", SIGABRT) when it runs out of descriptors.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class OpenFileLimitTests
{
    /// <summary>Low enough to be reached in a few seconds, high enough for the process's own ~250 files.</summary>
    private const int OpenFileLimit = 1024;

    /// <summary>More than the limit: without a cap, one of these would take the process's last descriptor.</summary>
    private const int Attempts = OpenFileLimit + 100;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConnectingUntilRefused_UnderALowOpenFileLimit_Answers503_AndTheProcessKeepsServing(bool directUpgrade)
    {
        using var directory = new TemporaryDirectory();
        await using var backend = await RecordingBackend.StartAsync();
        var definition = Path.Combine(directory.Path, "api.json");
        await File.WriteAllTextAsync(definition, JsonSerializer.Serialize(new
        {
            Switchboard = new
            {
                Stage = "production",
                Transport = new { DirectUpgrade = directUpgrade },
                Routes = new object[]
                {
                    new { RouteKey = "$connect", Integration = new { Type = "http", Uri = backend.UriFor("connect").ToString() } },
                    new { RouteKey = "whoami", Integration = new { Type = "inprocess", Handler = "demo.whoami" }, TwoWay = true },
                },
            },
        }));
        await using var server = await ServerProcess.StartAsync(directory.Path, ["--definition", definition], openFileLimit: OpenFileLimit);
        var uri = new Uri($"ws://127.0.0.1:{server.Port}/production");
        var open = new List<RawWebSocketClient>();
        var idle = new List<RawWebSocketClient>();
        try
        {
            int refusal = 0;
            while (open.Count < Attempts)
            {
                var client = await ConnectOrNullAsync(server, uri);
                if (client is null)
                {
                    Assert.Fail($"the server exited with {server.ExitCode} after {open.Count} handshakes:{Environment.NewLine}{server.Output}");
                }

                if (client.HandshakeStatusCode != 101)
                {
                    refusal = client.HandshakeStatusCode;
                    await client.DisposeAsync();
                    break;
                }

                open.Add(client);
            }

            Assert.Equal(503, refusal);
            Assert.InRange(open.Count, OpenFileLimit / 4, OpenFileLimit - 256);
            Assert.Contains($"at most {open.Count} WebSocket(s)", server.Output, StringComparison.Ordinal);

            // Sockets that never send a handshake hold descriptors too; those beyond the budget are closed at once (a
            // reset can reach the client before its connect completes).
            for (var i = 0; i < OpenFileLimit; i++)
            {
                try
                {
                    idle.Add(await RawWebSocketClient.OpenAsync(uri));
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Closed by the server before the connect completed: what the cap does.
                }
            }

            Assert.False(server.HasExited, server.Output);
            Assert.InRange(Directory.GetFileSystemEntries($"/proc/{server.ProcessId}/fd").Length, 1, OpenFileLimit - 1);
            await DisposeAllAsync(idle);

            // An open client still works end to end: its route answers and a management POST reaches it.
            var first = open[0];
            await first.SendTextAsync("{\"action\":\"whoami\"}");
            var id = JsonDocument.Parse((await first.ReceiveFrameAsync()).Payload).RootElement.GetProperty("connectionId").GetString()!;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using (var post = await PostWhenAcceptedAsync(http, new Uri($"{server.ManagementEndpoint()}/@connections/{Uri.EscapeDataString(id)}")))
            {
                Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            }

            Assert.Equal("still here", Encoding.UTF8.GetString((await first.ReceiveFrameAsync()).Payload));

            // Room again once clients leave (their slots are released after $disconnect, in the background).
            var leaving = open.GetRange(open.Count - 10, 10);
            open.RemoveRange(open.Count - 10, 10);
            await DisposeAllAsync(leaving);
            var again = await Eventually.UntilAsync(
                async () =>
                {
                    RawWebSocketClient? client;
                    try
                    {
                        client = await ConnectOrNullAsync(server, uri);
                    }
                    catch (InvalidOperationException)
                    {
                        // Closed unanswered: Kestrel may still count sockets of the idle clients that just left.
                        return null;
                    }

                    if (client is { HandshakeStatusCode: 101 })
                    {
                        return client;
                    }

                    await (client?.DisposeAsync() ?? ValueTask.CompletedTask);
                    return null;
                },
                client => client is not null,
                TimeSpan.FromSeconds(30),
                "a handshake accepted after ten clients left",
                () => server.Output);
            open.Add(again!);
            Assert.False(server.HasExited, server.Output);
        }
        finally
        {
            await DisposeAllAsync(open);
            await DisposeAllAsync(idle);
        }
    }

    /// <summary>A handshake's answer; null when the server ended the connection without one (for example, it died).</summary>
    private static async Task<RawWebSocketClient?> ConnectOrNullAsync(ServerProcess server, Uri uri)
    {
        try
        {
            return await RawWebSocketClient.ConnectAsync(uri);
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // A process out of descriptors stops answering first and aborts a moment later.
            return await server.WaitForExitAsync(TimeSpan.FromSeconds(30))
                ? null
                : throw new InvalidOperationException($"The handshake failed while the server was running:{Environment.NewLine}{server.Output}", exception);
        }
    }

    /// <summary>Posts "still here"; retried while Kestrel still closes sockets beyond its cap (the idle ones closing in the background).</summary>
    private static async Task<HttpResponseMessage> PostWhenAcceptedAsync(HttpClient http, Uri connection) =>
        (await Eventually.UntilAsync<HttpResponseMessage?>(
            async () =>
            {
                try
                {
                    return await http.PostAsync(connection, new StringContent("still here"));
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            response => response is not null,
            TimeSpan.FromSeconds(30),
            "a management POST accepted"))!;

    private static async Task DisposeAllAsync(List<RawWebSocketClient> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        clients.Clear();
    }
}
