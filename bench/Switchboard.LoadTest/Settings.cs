using System.Globalization;
using System.Net;

namespace Switchboard.LoadTest;

/// <summary>The harness's knobs; every one has a command-line option (see <see cref="Usage"/>).</summary>
internal sealed class Settings
{
    public List<ServerKind> Servers { get; } = [ServerKind.Switchboard, ServerKind.Raw, ServerKind.SignalR];

    public List<int> Connections { get; } = [1000, 5000];

    public int ConnectConcurrency { get; set; } = 64;

    public int SourceAddresses { get; set; } = 8;

    public double HoldSeconds { get; set; } = 5;

    public int PacedBroadcasts { get; set; } = 20;

    public double PacedIntervalMs { get; set; } = 50;

    public int Broadcasts { get; set; } = 200;

    public int Unicasts { get; set; } = 5000;

    public int UnicastConcurrency { get; set; } = 32;

    public int EchoClients { get; set; } = 100;

    public double EchoSeconds { get; set; } = 3;

    public int SlowClientFleet { get; set; } = 500;

    public int SlowClientBroadcasts { get; set; } = 2500;

    public double SlowClientDeadlineSeconds { get; set; } = 20;

    public int SlowClientPayloadBytes { get; set; } = Marker.PayloadBytes;

    public int SlowClientFillPosts { get; set; } = 64;

    public string OutputDirectory { get; set; } = "bench/results";

    public string? Label { get; set; }

    public bool SampleAllocations { get; set; }

    public bool PerfMap { get; set; }

    /// <summary>Every server listens on an https endpoint and every client connects over TLS (wss, https).</summary>
    public bool Tls { get; set; }

    public HashSet<string> Scenarios { get; } = new(AllScenarios, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<string> AllScenarios { get; } = ["idle", "broadcast", "unicast", "echo", "slow"];

    public string RepositoryRoot { get; set; } = FindRepositoryRoot();

    public IReadOnlyList<IPAddress> Sources => Enumerable.Range(2, SourceAddresses).Select(i => new IPAddress([127, 0, 0, (byte)i])).ToList();

    public const string Usage = """
        Switchboard.LoadTest — drives Switchboard and its peers on loopback; prints a table, writes JSON and SVG charts.

        Usage:
          dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll compare [options]
          bench/run.sh [options]                                   (builds everything first, then runs compare)

        Options (defaults in brackets):
          --servers LIST            switchboard,switchboard-memory,raw,signalr,switchboard-http-connect,raw-http-connect
                                    [switchboard,raw,signalr]; the http-connect pair call a backend (a raw Kestrel
                                    process the harness starts) on every connect: Switchboard through a $connect http
                                    integration, the raw peer with an HttpClient, accepting on 200
          --n LIST                  connection counts; 'max' = the fd limit less 500 [1000,5000]
          --scenarios LIST          idle,broadcast,unicast,echo,slow (connecting always runs) [all]
          --connect-concurrency C   handshakes in flight while connecting [64]
          --addresses A             loopback source addresses 127.0.0.2 … [8]
          --hold S                  seconds the idle connections are held (none may drop) [5]
          --paced-broadcasts M      broadcasts sent one per --paced-interval-ms, for latency at light load [20]
          --paced-interval-ms MS    [50]
          --broadcasts M            broadcasts sent back to back, for deliveries/s [200]
          --unicasts K              POST @connections/{id} to random clients [5000]
          --unicast-concurrency C   keep-alive HTTP connections for the posts [32]
          --echo-clients E          clients in the echo closed loop, one message in flight each [100]
          --echo-seconds S          [3]
          --slow-fleet F            clients kept for the slow-client scenario [500]
          --slow-broadcasts M       broadcasts per slow-client phase [2500]
          --slow-deadline S         give up on a slow-client phase after S seconds [20]
          --slow-payload B          broadcast payload bytes in the slow-client scenario [100]
          --slow-fill P             posts of 120 KB sent to the slow client first, so its socket buffers are
                                    full before the measured broadcasts (the steady state of a stalled reader) [64]
          --out DIR                 results.json, results.md and charts/*.svg [bench/results]
          --label TEXT              printed with the results (e.g. "reduced run")
          --allocations             sample the servers' allocations by type (runtime allocation ticks) and print
                                    the top types after each scenario; costs the server some CPU, so not for figures
          --perf-map                start the servers with DOTNET_PerfMapEnabled=1, so `perf record -g -p PID` can
                                    name JIT-compiled frames (a CPU profile of a server while the harness drives it)
          --tls                     every server listens on an https endpoint (Kestrel:Endpoints:Https, a self-signed
                                    certificate made for the run) and every client uses wss and https
        """;

    public static Settings Parse(IReadOnlyList<string> args)
    {
        var settings = new Settings();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--servers":
                    settings.Servers.Clear();
                    settings.Servers.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ServerKind.Parse));
                    break;
                case "--n":
                    settings.Connections.Clear();
                    settings.Connections.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseCount));
                    break;
                case "--scenarios":
                    settings.Scenarios.Clear();
                    foreach (var scenario in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        settings.Scenarios.Add(AllScenarios.Contains(scenario, StringComparer.OrdinalIgnoreCase) ? scenario : throw new ArgumentException($"Unknown scenario '{scenario}'"));
                    }

                    break;
                case "--connect-concurrency": settings.ConnectConcurrency = Int(Value()); break;
                case "--addresses": settings.SourceAddresses = Math.Clamp(Int(Value()), 1, 250); break;
                case "--hold": settings.HoldSeconds = Double(Value()); break;
                case "--paced-broadcasts": settings.PacedBroadcasts = Int(Value()); break;
                case "--paced-interval-ms": settings.PacedIntervalMs = Double(Value()); break;
                case "--broadcasts": settings.Broadcasts = Int(Value()); break;
                case "--unicasts": settings.Unicasts = Int(Value()); break;
                case "--unicast-concurrency": settings.UnicastConcurrency = Int(Value()); break;
                case "--echo-clients": settings.EchoClients = Int(Value()); break;
                case "--echo-seconds": settings.EchoSeconds = Double(Value()); break;
                case "--slow-fleet": settings.SlowClientFleet = Int(Value()); break;
                case "--slow-broadcasts": settings.SlowClientBroadcasts = Int(Value()); break;
                case "--slow-deadline": settings.SlowClientDeadlineSeconds = Double(Value()); break;
                case "--slow-payload": settings.SlowClientPayloadBytes = Math.Max(64, Int(Value())); break;
                case "--slow-fill": settings.SlowClientFillPosts = Int(Value()); break;
                case "--out": settings.OutputDirectory = Value(); break;
                case "--label": settings.Label = Value(); break;
                case "--allocations": settings.SampleAllocations = true; break;
                case "--perf-map": settings.PerfMap = true; break;
                case "--tls": settings.Tls = true; break;
                case "--repo": settings.RepositoryRoot = Value(); break;
                default: throw new ArgumentException($"Unknown option {name}");
            }
        }

        if (!Path.IsPathRooted(settings.OutputDirectory))
        {
            settings.OutputDirectory = Path.Combine(settings.RepositoryRoot, settings.OutputDirectory);
        }

        return settings;
    }

    /// <summary>The largest connection count the fd limit allows, with room for the runtime's own descriptors and the HTTP pool.</summary>
    public static int MaxConnections => ProcStat.FileDescriptorLimit() - 500;

    private static int ParseCount(string text) => text.Equals("max", StringComparison.OrdinalIgnoreCase) ? MaxConnections : Int(text);

    private static int Int(string text) => int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Double(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Switchboard.slnx")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
