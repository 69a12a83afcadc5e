using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Connections;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Clients that send but never read, as an attacker would use them to make the gateway hold memory: a ping flood, echo
/// requests whose answers pile up, posts to a stuck client. The real executable runs with its managed heap capped, so a
/// gateway that queues without bound dies instead of merely growing, and its resident memory is sampled throughout.
/// </summary>
public sealed class SlowClientTests
{
    /// <summary>The cap on the gateway's managed heap in these tests (DOTNET_GCHeapHardLimit).</summary>
    private const long HeapLimitBytes = 256L * 1024 * 1024;

    /// <summary>docs/security.md states this bound on the process's resident memory under these attacks.</summary>
    private const long MaxResidentBytes = 256L * 1024 * 1024;

    private static readonly string[] FastSlowClientLimits =
    [
        "--Switchboard:Registry:Provider=memory",
        "--Switchboard:Limits:SlowClientTimeout=00:00:01",
        "--Switchboard:Limits:CloseTimeout=00:00:01",
    ];

    private static readonly Dictionary<string, string> CappedHeap = new()
    {
        ["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimitBytes.ToString("x", CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task PingFlood_FromAClientThatNeverReads_IsCutOff_AndTheGatewayStaysSmall()
    {
        using var directory = new TemporaryDirectory();
        await using var server = await ServerProcess.StartAsync(directory.Path, FastSlowClientLimits, environment: CappedHeap);
        await using var attacker = await RawWebSocketClient.ConnectAsync(WebSocketUri(server), receiveBufferBytes: 4096);
        Assert.Equal(101, attacker.HandshakeStatusCode);

        // 1,000 pings of 125 bytes per write: a gateway that queues a pong per ping grows by hundreds of MB a second.
        var payload = new byte[125];
        var batch = Enumerable.Range(0, 1000).SelectMany(_ => RawWebSocketClient.EncodeFrame(RawWebSocketClient.Ping, payload)).ToArray();
        var memory = new ResidentMemory(server.ProcessId);
        var stopwatch = Stopwatch.StartNew();
        var cutOff = false;
        while (!cutOff && stopwatch.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await attacker.SendRawAsync(batch, TimeSpan.FromSeconds(60));
            }
            catch (IOException)
            {
                cutOff = true;
            }

            memory.Sample();
        }

        Assert.True(cutOff, $"the gateway still read pings from a client that never reads its pongs after {stopwatch.Elapsed} ({memory})");
        await AssertServesNewClientsAsync(server, memory);
    }

    [Fact]
    public async Task EchoFlood_FromClientsThatNeverRead_DropsTheReplies_AndCutsThemOff()
    {
        using var directory = new TemporaryDirectory();
        await using var server = await ServerProcess.StartAsync(directory.Path, FastSlowClientLimits, environment: CappedHeap);
        var memory = new ResidentMemory(server.ProcessId);

        // Ten clients each ask for 200 echoes of 120 KB (240 MB of answers): more than the heap may hold if they queue.
        var message = RawWebSocketClient.EncodeFragmented(new string('x', 120 * 1024), fragmentBytes: 30 * 1024);
        var attackers = new List<RawWebSocketClient>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                attackers.Add(await RawWebSocketClient.ConnectAsync(WebSocketUri(server), receiveBufferBytes: 4096));
                Assert.Equal(101, attackers[^1].HandshakeStatusCode);
            }

            await Task.WhenAll(attackers.Select(async attacker =>
            {
                try
                {
                    for (var i = 0; i < 200; i++)
                    {
                        // A generous bound: a write cut short would leave half a frame, and the gateway would rightly
                        // wait for the rest instead of answering (on a busy machine a write can wait for seconds).
                        await attacker.SendRawAsync(message, TimeSpan.FromSeconds(60));
                        memory.Sample();
                    }
                }
                catch (IOException)
                {
                    // Cut off as a slow client before it finished sending: what the gateway should do.
                }
            })).WaitAsync(TimeSpan.FromSeconds(180));

            // Still without reading (a client that starts reading catches up and rightly stays connected).
            using var http = new HttpClient();
            await Eventually.UntilAsync(
                async () => (await ServerProcessClients.ListAllIdsAsync(http, server.ManagementEndpoint())).Count,
                count => count == 0,
                TimeSpan.FromSeconds(60),
                "the non-reading clients to be closed");
        }
        finally
        {
            foreach (var attacker in attackers)
            {
                await attacker.DisposeAsync();
            }
        }

        await AssertServesNewClientsAsync(server, memory);
    }

    [Fact]
    public async Task PostToConnection_ToAClientThatNeverReads_Answers429_OnceAboutAMegabyteWaits_ThenClosesItWith1008()
    {
        var recorder = new RouteEventRecorder();
        await using var gateway = await TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "$disconnect",
                ["Switchboard:Routes:0:Integration:Type"] = "inprocess",
                ["Switchboard:Routes:0:Integration:Handler"] = "recorder",
                ["Switchboard:Limits:SlowClientTimeout"] = "00:00:01",
                ["Switchboard:Limits:CloseTimeout"] = "00:00:01",
            },
            services => services.AddRouteHandler("recorder", recorder.HandleAsync));
        using var http = new HttpClient();
        await using var stuck = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, receiveBufferBytes: 4096);
        var id = (await gateway.ListIdsAsync(http)).Single();

        // The kernel's socket buffers take a few MB before the gateway's queue holds anything; then 1 MiB of queue.
        var chunk = new byte[120 * 1024];
        Array.Fill(chunk, (byte)'x');
        var accepted = 0;
        while (true)
        {
            using var response = await http.PostAsync(gateway.ConnectionUri(id), new ByteArrayContent(chunk));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(++accepted < 200, "200 x 120 KB queued for a client that never reads: the queue has no byte bound");
        }

        var disconnect = await recorder.NextAsync("$disconnect", TimeSpan.FromSeconds(30));
        Assert.Equal(id, disconnect.ConnectionId);
        Assert.Equal(1008, disconnect.DisconnectStatusCode);
        Assert.Equal(ConnectionLifetimeMonitor.SlowClientReason, disconnect.DisconnectReason);
        using var gone = await http.PostAsync(gateway.ConnectionUri(id), new ByteArrayContent(chunk));
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
    }

    private static Uri WebSocketUri(ServerProcess server) => new($"ws://127.0.0.1:{server.Port}/production");

    /// <summary>After an attack: the process lived, its memory stayed within the stated bound, and a new client gets its echo.</summary>
    private static async Task AssertServesNewClientsAsync(ServerProcess server, ResidentMemory memory)
    {
        memory.Sample();
        Assert.True(memory.Peak <= MaxResidentBytes, $"resident memory reached {memory}; the stated bound is {MaxResidentBytes / (1024 * 1024)} MB");
        await using var client = await server.ConnectAsync();
        await client.SendTextAsync("still here");
        Assert.Equal("still here", await client.ReceiveTextAsync());
    }

    /// <summary>Peak resident memory of a process, from /proc.</summary>
    private sealed class ResidentMemory(int processId)
    {
        private readonly long _start = Read(processId);
        private long _peak;

        public long Peak => Interlocked.Read(ref _peak);

        public void Sample()
        {
            var now = Read(processId);
            long peak;
            do
            {
                peak = Interlocked.Read(ref _peak);
            }
            while (now > peak && Interlocked.CompareExchange(ref _peak, now, peak) != peak);
        }

        public override string ToString() => $"peak {Peak / (1024 * 1024)} MB, at start {_start / (1024 * 1024)} MB";

        private static long Read(int processId)
        {
            try
            {
                var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException)
            {
                // The process is gone (it died under the attack); the test's next step says so.
                return 0;
            }
        }
    }
}
