using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The real executable under a container-style memory limit (<c>DOTNET_GCHeapHardLimit</c>): floods of connections
/// and of posts to clients that never read end in refusals (503, 429), and the process stays up. Without the limits a
/// process that runs out of heap fails with OutOfMemoryException wherever it allocates next.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed partial class MemoryLimitTests
{
    private const long MiB = 1024 * 1024;

    /// <summary>Small enough to be filled in seconds: 64 MB, of which 16 MB (a quarter) is the outbound budget.</summary>
    private const long HeapLimitBytes = 64 * MiB;

    /// <summary>Room for the ~9,000 connections the heap's high-water mark admits, whatever the machine's default.</summary>
    private const int OpenFileLimit = 16_384;

    private static readonly Dictionary<string, string> CappedHeap = new()
    {
        ["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimitBytes.ToString("x", CultureInfo.InvariantCulture),
    };

    private static readonly string[] Telemetry = ["--Switchboard:Registry:Provider=memory", "--Switchboard:Telemetry:Prometheus:Enabled=true"];

    [Fact]
    public async Task ConnectionFlood_UnderAHeapLimit_EndsIn503AtTheCapDerivedFromIt_AndTheProcessKeepsServing()
    {
        using var directory = new TemporaryDirectory();
        await using var server = await ServerProcess.StartAsync(directory.Path, Telemetry, environment: CappedHeap, openFileLimit: OpenFileLimit);

        // 64 MB less 32 for the process and 16 for outbound queues, at 16 KB each.
        Assert.Contains("at most 1024 WebSocket(s) and 32 other socket(s) at once, derived from the 64 MB the GC may use", server.Output, StringComparison.Ordinal);
        var (open, refusal) = await ConnectUntilRefusedAsync(server, attempts: 2000);
        try
        {
            Assert.Equal(503, refusal);
            Assert.Equal(1024, open.Count);
            await AssertKeepsServingAsync(server, open[0]);
            Assert.True(Value(await ScrapeAsync(server), "switchboard_connections_refused_total", "reason=\"capacity\"") >= 1);
        }
        finally
        {
            await DisposeAllAsync(open);
        }
    }

    [Fact]
    public async Task ConnectionFlood_BeyondAConfiguredCap_IsRefusedAtTheHeapsHighWaterMark_NotAnOutOfMemoryFailure()
    {
        using var directory = new TemporaryDirectory();
        // A cap far beyond what 64 MB holds: only the high-water mark (75 % of the heap limit) stands before the limit.
        await using var server = await ServerProcess.StartAsync(directory.Path, [.. Telemetry, "--Switchboard:Limits:MaxConnections=14000"], environment: CappedHeap, openFileLimit: OpenFileLimit);
        var (open, refusal) = await ConnectUntilRefusedAsync(server, attempts: 14_000);
        try
        {
            Assert.False(server.HasExited, server.Output);
            Assert.Equal(503, refusal);
            // About 5.5 KB of heap per idle connection: thousands fit, far from the configured 14,000.
            Assert.InRange(open.Count, 2000, 13_000);
            Assert.Contains("Memory nearly used up", server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("OutOfMemoryException", server.Output, StringComparison.Ordinal);
            Assert.True(Value(await ScrapeAsync(server), "switchboard_connections_refused_total", "reason=\"memory\"") >= 1);

            // Room again once clients leave and their memory is collected.
            await DisposeAllAsync(open.GetRange(open.Count / 2, open.Count - (open.Count / 2)));
            open.RemoveRange(open.Count / 2, open.Count - (open.Count / 2));
            await AssertKeepsServingAsync(server, open[0]);
            var again = await Eventually.UntilAsync(
                async () =>
                {
                    var client = await RawWebSocketClient.ConnectAsync(WebSocketUri(server));
                    if (client.HandshakeStatusCode == 101)
                    {
                        return client;
                    }

                    await client.DisposeAsync();
                    return null;
                },
                client => client is not null,
                TimeSpan.FromSeconds(30),
                "a handshake accepted after half the clients left",
                () => server.Output);
            open.Add(again!);
        }
        finally
        {
            await DisposeAllAsync(open);
        }
    }

    [Fact]
    public async Task PostFlood_ToClientsThatNeverRead_EndsIn429AtTheNodesOutboundBudget_AndSendsWorkAgainOnceTheyRead()
    {
        using var directory = new TemporaryDirectory();
        // Each queue may hold 64 MB, the whole heap: only the node's budget (16 MB, derived) stands before the limit.
        // Non-reading clients stay connected (no slow-client timeout within the test), so they can read afterwards.
        await using var server = await ServerProcess.StartAsync(
            directory.Path,
            [.. Telemetry, $"--Switchboard:Limits:MaxQueuedBytesPerConnection={64 * MiB}", "--Switchboard:Limits:SlowClientTimeout=00:10:00"],
            environment: CappedHeap);
        Assert.Contains("16 MB for outbound queues", server.Output, StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var readers = new List<(RawWebSocketClient Client, string Id)>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var client = await RawWebSocketClient.ConnectAsync(WebSocketUri(server), receiveBufferBytes: 4096);
                Assert.Equal(101, client.HandshakeStatusCode);
                readers.Add((client, await WhoAmIAsync(client)));
            }

            // 120 KB posts to each in turn (payload and frame: 240 KB held per post) until every one is refused. Eight
            // queues of 64 MB would take 512 MB; the heap holds 64.
            var chunk = Encoding.ASCII.GetBytes(new string('x', 120 * 1024));
            var accepted = new int[readers.Count];
            var refused = new bool[readers.Count];
            for (var round = 0; refused.Contains(false); round++)
            {
                Assert.True(round < 400, $"still accepting after {accepted.Sum()} posts of 120 KB: nothing bounds the node's queues");
                for (var i = 0; i < readers.Count; i++)
                {
                    if (refused[i])
                    {
                        continue;
                    }

                    using var response = await http.PostAsync(ConnectionUri(server, readers[i].Id), new ByteArrayContent(chunk));
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        refused[i] = true;
                        Assert.Equal("LimitExceededException", response.Headers.GetValues("x-amzn-ErrorType").Single());
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                        accepted[i]++;
                    }
                }
            }

            Assert.False(server.HasExited, server.Output);
            Assert.DoesNotContain("OutOfMemoryException", server.Output, StringComparison.Ordinal);
            Assert.InRange(accepted.Sum() * 240L * 1024, 16 * MiB / 2, HeapLimitBytes);

            // A broadcast while the budget is spent reaches no one, and each skipped client counts as a drop.
            var droppedBefore = Value(await ScrapeAsync(server), "switchboard_messages_dropped_total");
            using (var broadcast = await http.PostAsync(new Uri($"{server.ManagementEndpoint()}/@broadcast"), new ByteArrayContent(chunk)))
            {
                Assert.Equal(HttpStatusCode.OK, broadcast.StatusCode);
                Assert.Equal(0, JsonDocument.Parse(await broadcast.Content.ReadAsStringAsync()).RootElement.GetProperty("recipients").GetInt64());
            }

            Assert.Equal(droppedBefore + readers.Count, Value(await ScrapeAsync(server), "switchboard_messages_dropped_total"));
            using (var live = await http.GetAsync(new Uri(server.BaseUri, "@health/live")))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            // The clients read everything they were sent; then posts are accepted and delivered again.
            for (var i = 0; i < readers.Count; i++)
            {
                for (var received = 0; received < accepted[i];)
                {
                    var frame = await readers[i].Client.ReceiveFrameAsync(TimeSpan.FromSeconds(30));
                    if (frame.Opcode == RawWebSocketClient.Text)
                    {
                        Assert.Equal(chunk.Length, frame.Payload.Length);
                        received++;
                    }
                }
            }

            for (var i = 0; i < readers.Count; i++)
            {
                using var response = await http.PostAsync(ConnectionUri(server, readers[i].Id), new StringContent("again"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("again", Encoding.UTF8.GetString((await ReceiveTextFrameAsync(readers[i].Client)).Payload));
            }
        }
        finally
        {
            foreach (var (client, _) in readers)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>Opens connections one after another until one is refused (its status) or <paramref name="attempts"/> are open (0).</summary>
    private static async Task<(List<RawWebSocketClient> Open, int Refusal)> ConnectUntilRefusedAsync(ServerProcess server, int attempts)
    {
        var open = new List<RawWebSocketClient>();
        try
        {
            while (open.Count < attempts)
            {
                var client = await RawWebSocketClient.ConnectAsync(WebSocketUri(server));
                if (client.HandshakeStatusCode != 101)
                {
                    await client.DisposeAsync();
                    return (open, client.HandshakeStatusCode);
                }

                open.Add(client);
            }

            return (open, 0);
        }
        catch (Exception exception) when (exception is IOException or EndOfStreamException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            await DisposeAllAsync(open);
            throw new InvalidOperationException($"A handshake failed after {open.Count} connections (exited: {server.HasExited}):{Environment.NewLine}{server.Output}", exception);
        }
    }

    /// <summary>The process answers its liveness probe, and an open client still gets its echo.</summary>
    private static async Task AssertKeepsServingAsync(ServerProcess server, RawWebSocketClient client)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using (var live = await http.GetAsync(new Uri(server.BaseUri, "@health/live")))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await client.SendTextAsync("still here");
        Assert.Equal("still here", Encoding.UTF8.GetString((await ReceiveTextFrameAsync(client)).Payload));
    }

    private static async Task<string> WhoAmIAsync(RawWebSocketClient client)
    {
        await client.SendTextAsync("{\"action\":\"whoami\"}");
        return JsonDocument.Parse((await ReceiveTextFrameAsync(client)).Payload).RootElement.GetProperty("connectionId").GetString()!;
    }

    /// <summary>The next text frame, skipping keep-alive pings.</summary>
    private static async Task<RawFrame> ReceiveTextFrameAsync(RawWebSocketClient client)
    {
        while (true)
        {
            var frame = await client.ReceiveFrameAsync(TimeSpan.FromSeconds(30));
            if (frame.Opcode == RawWebSocketClient.Text)
            {
                return frame;
            }
        }
    }

    private static async Task<string> ScrapeAsync(ServerProcess server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetStringAsync(new Uri(server.BaseUri, "@metrics"));
    }

    /// <summary>The sum of the series named <paramref name="name"/> whose labels include <paramref name="label"/> (0 when there is none).</summary>
    private static double Value(string scrape, string name, string label = "") =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(SampleValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"[} ]\s*([-+0-9.eE]+)(\s+\d+)?\s*$")]
    private static partial Regex SampleValue();

    private static Uri WebSocketUri(ServerProcess server) => new($"ws://127.0.0.1:{server.Port}/production");

    private static Uri ConnectionUri(ServerProcess server, string id) => new($"{server.ManagementEndpoint()}/@connections/{Uri.EscapeDataString(id)}");

    private static async Task DisposeAllAsync(List<RawWebSocketClient> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        clients.Clear();
    }
}
