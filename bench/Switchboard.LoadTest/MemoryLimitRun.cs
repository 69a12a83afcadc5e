using System.Collections.Concurrent;
using System.Globalization;
using System.Net;

namespace Switchboard.LoadTest;

/// <summary>
/// <c>memory-limit</c>: what a heap limit buys. Starts Switchboard (in-memory registry) under
/// <c>DOTNET_GCHeapHardLimit</c>, opens idle connections until a handshake is refused, and prints how many were open,
/// the refusal, the resident memory and managed heap per connection (each after a full GC, less the idle process's),
/// and connections per GB of heap limit. docs/reliability.md ("Memory limits") quotes its output.
/// </summary>
internal static class MemoryLimitRun
{
    public const string Usage = """
        Usage:
          dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll memory-limit [options]

        Options (defaults in brackets):
          --heap-limit-mb M         the server's DOTNET_GCHeapHardLimit, in MB [256]
          --max-connections N       configure Limits:MaxConnections (the cap derived from memory then no longer applies,
                                    only the heap's high-water mark) [derived]
          --concurrency C           handshakes in flight [16]
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        long heapLimitMb = 256;
        int? maxConnections = null;
        var concurrency = 16;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--heap-limit-mb":
                    heapLimitMb = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--max-connections":
                    maxConnections = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--concurrency":
                    concurrency = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"Unknown option {args[i]}{Environment.NewLine}{Usage}");
                    return 2;
            }
        }

        var settings = new Settings();
        var kind = ServerKind.SwitchboardMemory;
        if (!File.Exists(kind.AssemblyPath(settings.RepositoryRoot)))
        {
            Console.Error.WriteLine($"{kind.AssemblyPath(settings.RepositoryRoot)} is missing: build it first (bench/run.sh does).");
            return 2;
        }

        var heapLimitBytes = heapLimitMb * 1024 * 1024;
        await using var server = ServerProcess.Start(
            kind,
            settings.RepositoryRoot,
            tls: null,
            environment: new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x" + heapLimitBytes.ToString("x", CultureInfo.InvariantCulture) },
            extraArguments: [$"--Switchboard:Limits:MaxConnections={maxConnections ?? 0}", "--Logging:LogLevel:Switchboard.Hosting=Information"]);
        using var management = new ManagementClient(server.Port, 4, tls: null);
        await server.WaitReadyAsync(management, TimeSpan.FromSeconds(30));
        var idleRss = await server.CollectAndMeasureAsync();
        var idleHeap = server.HeapBytes;

        // Connect until the first refusal; each worker stops at it, handshakes in flight finish.
        var open = new ConcurrentBag<WsClient>();
        var refusal = "";
        using var stop = new CancellationTokenSource();
        var upgrade = WsClient.UpgradeRequest(server.EndPoint, "/production");
        var sources = settings.Sources;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            for (var n = worker; !stop.IsCancellationRequested && open.Count < ProcStat.FileDescriptorLimit() - 500; n += concurrency)
            {
                try
                {
                    open.Add(await WsClient.ConnectAsync(null, n, sources[n % sources.Count], server.EndPoint, upgrade, kind.Protocol, 0, null, CancellationToken.None));
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
                {
                    Interlocked.CompareExchange(ref refusal, exception.Message, "");
                    await stop.CancelAsync();
                }
            }
        })));
        var elapsed = started.Elapsed;
        await Task.Delay(1000);
        var rss = await server.CollectAndMeasureAsync();
        var heap = server.HeapBytes;
        var live = await LiveAsync(server.Port);

        var count = open.Count;
        Console.WriteLine($"heap limit: {heapLimitMb} MB (DOTNET_GCHeapHardLimit); Limits:MaxConnections: {(maxConnections is { } max ? max.ToString(CultureInfo.InvariantCulture) : "derived")}");
        Console.WriteLine(string.Join(Environment.NewLine, server.LastLines().Split(Environment.NewLine).Where(line => line.Contains("Connections: at most", StringComparison.Ordinal) || line.Contains("Memory nearly used up", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal)).Select(line => "server: " + line.Trim())));
        Console.WriteLine($"open: {count:N0} connections in {elapsed.TotalSeconds:F1} s, then: {(refusal.Length == 0 ? "none refused (open-file limit of the harness reached)" : refusal)}");
        Console.WriteLine($"server alive: {!server.HasExited}, /@health/live: {live}");
        Console.WriteLine($"resident memory: {idleRss / 1048576.0:F1} MB idle, {rss / 1048576.0:F1} MB with the connections: {(rss - idleRss) / (double)Math.Max(count, 1):N0} B per connection");
        Console.WriteLine($"managed heap: {idleHeap / 1048576.0:F1} MB idle, {heap / 1048576.0:F1} MB with the connections: {(heap - idleHeap) / (double)Math.Max(count, 1):N0} B per connection");
        Console.WriteLine($"connections per GB of heap limit: {count * 1024.0 / heapLimitMb:N0}");
        foreach (var client in open)
        {
            client.Close();
        }

        return server.HasExited ? 1 : 0;
    }

    private static async Task<HttpStatusCode?> LiveAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/@health/live"));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
