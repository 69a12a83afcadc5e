using System.Globalization;
using System.Net;

namespace Switchboard.LoadTest;

/// <summary>The knobs of the <c>mass</c> subcommand (<see cref="MassEvents"/>); every one has an option (see <see cref="Usage"/>).</summary>
internal sealed class MassSettings
{
    public int Clients { get; set; } = 19_500;

    public List<MassPhase> Phases { get; } = [.. Enum.GetValues<MassPhase>()];

    public int ConnectConcurrency { get; set; } = 64;

    public int SourceAddresses { get; set; } = 8;

    /// <summary>A phase gives up waiting for <c>$disconnect</c> calls when none arrived for this long.</summary>
    public double QuietSeconds { get; set; } = 30;

    /// <summary>How long the backend takes to answer each <c>$disconnect</c> (a slower backend than one on loopback).</summary>
    public TimeSpan BackendDelay { get; set; }

    /// <summary>Further gateway configuration, as <c>--Switchboard:Key=value</c> arguments.</summary>
    public List<string> GatewaySettings { get; } = [];

    public string OutputDirectory { get; set; } = "bench/results";

    public string RepositoryRoot { get; set; } = Settings.FindRepositoryRoot();

    public IReadOnlyList<IPAddress> Sources => Enumerable.Range(2, SourceAddresses).Select(i => new IPAddress([127, 0, 0, (byte)i])).ToList();

    public const string Usage = """
        Switchboard.LoadTest mass — thousands of connections ending at once, each phase on a fresh gateway (SQLite
        registry, $connect and $disconnect http integrations to a backend in the harness that counts the calls by
        connection id): close frames from every client at once, every client's TCP connection reset at once, and
        SIGTERM with every client open. Prints per phase the $disconnect calls delivered, missing and repeated and the
        time to the last; exits 1 when any is missing or repeated, or the gateway did not exit 0 after SIGTERM.

        Usage:
          bench/mass.sh [options]                                  (builds the gateway and the harness first)
          dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll mass [options]

        Options (defaults in brackets):
          --n N                     clients [19500]; 'max' = the open-file limit less 500
          --phases LIST             close,reset,shutdown [all]
          --connect-concurrency C   handshakes in flight while connecting [64]
          --addresses A             loopback source addresses 127.0.0.2 … [8]
          --backend-delay MS        the backend answers each $disconnect after MS milliseconds [0]
          --quiet S                 give up on a phase when no $disconnect arrived for S seconds [30]
          --set KEY=VALUE           gateway configuration below Switchboard: (repeatable), e.g.
                                    --set Limits:ShutdownTimeout=00:00:30 --set Routes:5:Integration:MaxConcurrency=100
          --out DIR                 mass.json and mass.md [bench/results]
        """;

    public static MassSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new MassSettings();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--n":
                    var n = Value();
                    settings.Clients = n.Equals("max", StringComparison.OrdinalIgnoreCase) ? Settings.MaxConnections : Int(name, n);
                    break;
                case "--phases":
                    settings.Phases.Clear();
                    foreach (var phase in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        settings.Phases.Add(Enum.TryParse<MassPhase>(phase, ignoreCase: true, out var parsed)
                            ? parsed
                            : throw new ArgumentException($"--phases: unknown phase '{phase}' (known: close, reset, shutdown)"));
                    }

                    break;
                case "--connect-concurrency": settings.ConnectConcurrency = Int(name, Value()); break;
                case "--addresses": settings.SourceAddresses = Math.Clamp(Int(name, Value()), 1, 250); break;
                case "--quiet": settings.QuietSeconds = double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture); break;
                case "--backend-delay": settings.BackendDelay = TimeSpan.FromMilliseconds(Int(name, Value())); break;
                case "--set":
                    var setting = Value();
                    settings.GatewaySettings.Add(setting.Contains('=', StringComparison.Ordinal)
                        ? $"--Switchboard:{setting}"
                        : throw new ArgumentException($"--set: '{setting}' is not KEY=VALUE"));
                    break;
                case "--out": settings.OutputDirectory = Value(); break;
                case "--repo": settings.RepositoryRoot = Value(); break;
                default: throw new ArgumentException($"Unknown option {name}");
            }
        }

        if (settings.Clients < 1 || settings.Clients > Settings.MaxConnections)
        {
            throw new ArgumentException($"--n: {settings.Clients} is outside 1 to {Settings.MaxConnections} (the open-file limit less 500)");
        }

        if (!Path.IsPathRooted(settings.OutputDirectory))
        {
            settings.OutputDirectory = Path.Combine(settings.RepositoryRoot, settings.OutputDirectory);
        }

        return settings;
    }

    private static int Int(string name, string text) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{name}: '{text}' is not a whole number");
}
