using System.Globalization;

namespace Switchboard.LoadTest;

/// <summary>What one phase of <see cref="MassEvents"/> measured; times are seconds from the moment the connections were ended.</summary>
internal sealed class MassResult(MassPhase phase, int clients)
{
    public MassPhase Phase { get; } = phase;

    /// <summary>Clients asked for.</summary>
    public int Clients { get; } = clients;

    public int Connected { get; init; }

    public double ConnectSeconds { get; init; }

    /// <summary>Connections the gateway counted before they were ended (<c>GET @stats</c>).</summary>
    public int GatewayCounted { get; init; }

    /// <summary><c>$connect</c> calls the backend answered: the connections that are owed a <c>$disconnect</c>.</summary>
    public long Connects { get; init; }

    /// <summary>How long the harness took to end them (send every close frame, reset every socket, send SIGTERM).</summary>
    public double EndSeconds { get; set; }

    /// <summary>Connections with a <c>$connect</c> and at least one <c>$disconnect</c>.</summary>
    public long Delivered { get; set; }

    /// <summary>Connections with a <c>$connect</c> and no <c>$disconnect</c>.</summary>
    public long Missing { get; set; }

    /// <summary>Connections with more than one <c>$disconnect</c>.</summary>
    public long Repeated { get; set; }

    /// <summary><c>$disconnect</c> calls for ids the backend never saw connect.</summary>
    public long Unknown { get; set; }

    public double? LastDisconnectSeconds { get; set; }

    /// <summary>When every client had seen its connection end (the server's close frame, or the end of the stream).</summary>
    public double? ClientsClosedSeconds { get; set; }

    /// <summary>The close codes the clients received from the server, and how many received each.</summary>
    public IReadOnlyDictionary<int, int> ServerCloseCodes { get; set; } = new Dictionary<int, int>();

    /// <summary>The gateway's exit code after SIGTERM (shutdown phase); null when it did not exit.</summary>
    public int? ExitCode { get; set; }

    public double? ExitSeconds { get; set; }

    public List<string> Notes { get; } = [];

    /// <summary>Every client connected, every connection got exactly one <c>$disconnect</c>, and a SIGTERMed gateway exited 0.</summary>
    public bool Passed =>
        Connected == Clients && Connects == Connected && Missing == 0 && Repeated == 0 && Unknown == 0
        && (Phase != MassPhase.Shutdown || ExitCode == 0);

    public string CloseCodes() => ServerCloseCodes.Count == 0
        ? "—"
        : string.Join(", ", ServerCloseCodes.Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key} × {pair.Value:N0}")));

    public string Summary()
    {
        static string Seconds(double? value) => value?.ToString("F2", CultureInfo.InvariantCulture) ?? "—";
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{(Passed ? "PASS" : "FAIL")}: {Connected:N0}/{Clients:N0} connected ({Connects:N0} $connect), $disconnect delivered {Delivered:N0}, missing {Missing:N0}, repeated {Repeated:N0}, unknown {Unknown:N0}; last $disconnect after {Seconds(LastDisconnectSeconds)} s, clients closed after {Seconds(ClientsClosedSeconds)} s; server close codes: {CloseCodes()}");
        return Phase == MassPhase.Shutdown
            ? summary + string.Create(CultureInfo.InvariantCulture, $"; gateway exit code {ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"} after {Seconds(ExitSeconds)} s")
            : summary;
    }
}
