namespace Switchboard.LoadTest;

/// <summary>What one gateway process (or the redis-server) used at a checkpoint.</summary>
/// <param name="ResidentBytes">VmRSS as it was (garbage included).</param>
/// <param name="ResidentAfterGcBytes">VmRSS right after a full compacting GC in the gateway (through the harness's startup hook): what a leak would grow; for redis-server the same as <paramref name="ResidentBytes"/>.</param>
/// <param name="Connections">The node's own open WebSocket connections (<c>@stats</c>), one socket each; 0 for redis-server.</param>
internal sealed record ProcessSample(string Name, int Pid, long ResidentBytes, long ResidentAfterGcBytes, int OpenFiles, int Connections)
{
    /// <summary>Open files besides the client sockets: what must not grow with churn.</summary>
    public int OtherFiles => OpenFiles - Connections;
}

/// <summary>
/// One checkpoint of a churn run, taken while every client is paused (half of them holding an open connection):
/// the registry and the nodes' tables against the sockets the harness holds, after they had up to
/// <see cref="ChurnRun.SettleBound"/> to agree (closes of the last moment are still being processed).
/// </summary>
internal sealed record ChurnCheckpoint(
    double ElapsedSeconds,
    long Cycles,
    double CyclesPerSecond,
    long Connects,
    double ConnectP50Ms,
    double ConnectP99Ms,
    double ConnectMaxMs,
    int LiveSockets,
    int Registry,
    int NodeTables,
    long BackendOpen,
    double SettleMs,
    IReadOnlyList<ProcessSample> Processes,
    string LoadAverage)
{
    public bool Agrees => Registry == LiveSockets && NodeTables == LiveSockets && BackendOpen == LiveSockets;
}

/// <summary>A figure's trend over the run: a least-squares line through the checkpoints after the first.</summary>
internal sealed record Trend(string Name, string Unit, double First, double Last, double SlopePer100kCycles);

/// <summary>One check of the run and whether it held.</summary>
internal sealed record ChurnCheck(string What, bool Held, string Detail);

/// <summary>Everything a churn run on one registry measured.</summary>
internal sealed class ChurnResult(string registry, int nodes)
{
    public string Registry => registry;

    public int Nodes => nodes;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    /// <summary>The tree the run started from (<c>git describe --dirty</c>), read at the start: edits made while it runs do not count.</summary>
    public string Commit { get; set; } = "?";

    public double DurationSeconds { get; set; }

    public long Cycles { get; set; }

    public long Handshakes { get; set; }

    public long MessagesAnswered { get; set; }

    public Dictionary<string, long> Closes { get; } = [];

    public Dictionary<string, long> Errors { get; } = [];

    public string? FirstError { get; set; }

    public long BackendConnects { get; set; }

    public long BackendDisconnects { get; set; }

    public long BackendMessages { get; set; }

    public IdAudit? Audit { get; set; }

    public double DisconnectDrainSeconds { get; set; }

    public int FinalRegistry { get; set; }

    public int FinalNodeTables { get; set; }

    public double ConnectP50Ms { get; set; }

    public double ConnectP99Ms { get; set; }

    public double ConnectMaxMs { get; set; }

    public string LoadAverageStart { get; set; } = "";

    public string LoadAverageEnd { get; set; } = "";

    public List<ChurnCheckpoint> Checkpoints { get; } = [];

    public List<ProcessSample> Baseline { get; set; } = [];

    public List<ProcessSample> Final { get; set; } = [];

    public List<Trend> Trends { get; } = [];

    public List<ChurnCheck> Checks { get; } = [];

    public bool Passed => Checks.All(check => check.Held);
}
