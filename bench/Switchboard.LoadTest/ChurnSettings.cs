using System.Globalization;
using System.Net;

namespace Switchboard.LoadTest;

/// <summary>The knobs of the <c>churn</c> subcommand; every one has a command-line option (see <see cref="Usage"/>).</summary>
internal sealed class ChurnSettings
{
    public static IReadOnlyList<string> AllRegistries { get; } = ["sqlite", "redis"];

    /// <summary>Run one after the other, each with its own gateway processes and backend.</summary>
    public List<string> Registries { get; } = ["sqlite"];

    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Clients cycling at once: each connects, sends, closes, connects again.</summary>
    public int Concurrency { get; set; } = 128;

    /// <summary>Messages per cycle, each through <c>$default</c> (a two-way http integration) and awaited.</summary>
    public int Messages { get; set; } = 2;

    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Per cent of cycles ended by a TCP reset (no close frame).</summary>
    public int ResetPercent { get; set; } = 10;

    /// <summary>Per cent of cycles ended by a FIN without a close frame (a client process that exits).</summary>
    public int FinPercent { get; set; } = 10;

    public int Nodes { get; set; } = 3;

    public int SourceAddresses { get; set; } = 8;

    /// <summary>Bound of each step of a cycle (connect, a message's answer, the close).</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public string OutputDirectory { get; set; } = "bench/results/churn";

    public string? Label { get; set; }

    public string RepositoryRoot { get; set; } = Settings.FindRepositoryRoot();

    public IReadOnlyList<IPAddress> Sources => Enumerable.Range(2, SourceAddresses).Select(i => new IPAddress([127, 0, 0, (byte)i])).ToList();

    public const string Usage = """
        Switchboard.LoadTest churn — connect/message/disconnect cycles against the real gateway for a duration, with
        $connect, $disconnect and $default http integrations calling a backend the harness hosts; checks that every
        $connect has its $disconnect and that the registry equals the live sockets; writes results.md and results.json.

        Usage:
          dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll churn [options]
          bench/churn.sh [options]                                 (builds the gateway and the harness first)

        Options (defaults in brackets):
          --registry LIST           sqlite (one node), redis (a redis-server of the harness's own and --nodes
                                    gateway processes, clients spread over them); both run one after the other [sqlite]
          --duration T              how long cycles are started: 90s, 30m, 1h, or seconds [30m]
          --concurrency C           clients cycling at once [128]
          --messages M              messages per cycle through $default, each answer awaited [2]
          --checkpoint T            every T the clients pause (half holding an open connection) and the registry is
                                    compared with the live sockets; RSS, open files and latency are sampled [1m]
          --reset-percent P         cycles ended by a TCP reset [10]
          --fin-percent P           cycles ended by a FIN without a close frame [10]; the rest close with a close frame
          --nodes N                 gateway processes with redis [3]
          --addresses A             loopback source addresses 127.0.0.2 … [8]
          --step-timeout T          bound of each step of a cycle [30s]
          --out DIR                 results.md and results.json; one subdirectory per registry [bench/results/churn]
          --label TEXT              printed with the results

        Exit code: 0 when every check held, 1 when one failed (the report says which), 2 on bad options.
        """;

    public static ChurnSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new ChurnSettings();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--registry":
                    settings.Registries.Clear();
                    foreach (var registry in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        settings.Registries.Add(AllRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase)
                            ? registry.ToLowerInvariant()
                            : throw new ArgumentException($"--registry: unknown registry '{registry}' (expected sqlite or redis)"));
                    }

                    break;
                case "--duration": settings.Duration = Time(name, Value()); break;
                case "--concurrency": settings.Concurrency = Positive(name, Value()); break;
                case "--messages": settings.Messages = Math.Max(0, Int(name, Value())); break;
                case "--checkpoint": settings.CheckpointInterval = Time(name, Value()); break;
                case "--reset-percent": settings.ResetPercent = Math.Clamp(Int(name, Value()), 0, 100); break;
                case "--fin-percent": settings.FinPercent = Math.Clamp(Int(name, Value()), 0, 100); break;
                case "--nodes": settings.Nodes = Positive(name, Value()); break;
                case "--addresses": settings.SourceAddresses = Math.Clamp(Positive(name, Value()), 1, 250); break;
                case "--step-timeout": settings.StepTimeout = Time(name, Value()); break;
                case "--out": settings.OutputDirectory = Value(); break;
                case "--label": settings.Label = Value(); break;
                case "--repo": settings.RepositoryRoot = Value(); break;
                default: throw new ArgumentException($"Unknown option {name}");
            }
        }

        if (settings.ResetPercent + settings.FinPercent > 100)
        {
            throw new ArgumentException("--reset-percent and --fin-percent add up to more than 100");
        }

        if (!Path.IsPathRooted(settings.OutputDirectory))
        {
            settings.OutputDirectory = Path.Combine(settings.RepositoryRoot, settings.OutputDirectory);
        }

        return settings;
    }

    /// <summary><c>90s</c>, <c>30m</c>, <c>1h</c> or a number of seconds.</summary>
    private static TimeSpan Time(string name, string text)
    {
        var (number, unit) = text[^1] switch
        {
            's' => (text[..^1], 1),
            'm' => (text[..^1], 60),
            'h' => (text[..^1], 3600),
            _ => (text, 1),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromSeconds(value * unit)
            : throw new ArgumentException($"{name}: '{text}' is not a duration (90s, 30m, 1h or seconds)");
    }

    private static int Int(string name, string text) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{name}: '{text}' is not a whole number");

    private static int Positive(string name, string text) =>
        Int(name, text) is var value and > 0 ? value : throw new ArgumentException($"{name}: must be at least 1");
}
