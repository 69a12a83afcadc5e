namespace Switchboard.LoadTest;

/// <summary>A server the harness can start: where its build output is, and how its clients speak.</summary>
internal sealed record ServerKind(string Name, string Label, string ProjectDirectory, string AssemblyName, WireProtocol Protocol, string[] Arguments)
{
    public static ServerKind Switchboard { get; } = new("switchboard", "Switchboard", "src/Switchboard.Server", "Switchboard.Server.dll", WireProtocol.Actions, []);

    /// <summary>Switchboard with the in-memory registry instead of SQLite: separates the registry's cost from the gateway's.</summary>
    public static ServerKind SwitchboardMemory { get; } = new("switchboard-memory", "Switchboard (in-memory registry)", "src/Switchboard.Server", "Switchboard.Server.dll", WireProtocol.Actions, ["--Switchboard:Registry:Provider=memory"]);

    public static ServerKind Raw { get; } = new("raw", "raw Kestrel", "bench/Peers.RawKestrel", "Peers.RawKestrel.dll", WireProtocol.Actions, []);

    /// <summary>
    /// Switchboard with an <c>http</c> integration on <c>$connect</c> (a sixth route after demo-api.json's four) that
    /// calls the harness's backend, a raw Kestrel process answering <c>{"statusCode":200}</c>.
    /// </summary>
    public static ServerKind SwitchboardHttpConnect { get; } = new("switchboard-http-connect", "Switchboard ($connect http integration)", "src/Switchboard.Server", "Switchboard.Server.dll", WireProtocol.Actions, [])
    {
        CallsBackendOnConnect = true,
    };

    /// <summary>The raw peer making the same call on every connect (<c>ConnectCall</c>), accepting on 200.</summary>
    public static ServerKind RawHttpConnect { get; } = new("raw-http-connect", "raw Kestrel (backend call per connect)", "bench/Peers.RawKestrel", "Peers.RawKestrel.dll", WireProtocol.Actions, [])
    {
        CallsBackendOnConnect = true,
    };

    public static ServerKind SignalR { get; } = new("signalr", "SignalR", "bench/Peers.SignalR", "Peers.SignalR.dll", WireProtocol.SignalR, []);

    public static IReadOnlyList<ServerKind> All { get; } = [Switchboard, SwitchboardMemory, Raw, SignalR, SwitchboardHttpConnect, RawHttpConnect];

    public bool IsSwitchboard => ProjectDirectory == "src/Switchboard.Server";

    /// <summary>The harness starts a backend first (<see cref="ConnectBackendPath"/> on a raw Kestrel process) and hands this server its URI.</summary>
    public bool CallsBackendOnConnect { get; init; }

    public const string ConnectBackendPath = "/backend/connect";

    public string AssemblyPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, ProjectDirectory, "bin", "Release", "net10.0", AssemblyName);

    /// <remarks>
    /// Switchboard derives its connection cap from the open-file limit with headroom for integrations it does not have
    /// here; the peers have no cap, so the harness sets it to what it will open itself (every N plus the warm-up).
    /// </remarks>
    public IEnumerable<string> ExtraArguments(string workDirectory, Uri? connectBackend) => (IsSwitchboard, connectBackend) switch
    {
        (true, _) =>
        [
            $"--Switchboard:Registry:Sqlite:Path={Path.Combine(workDirectory, "registry.db")}",
            $"--Switchboard:Limits:MaxConnections={Settings.MaxConnections + 100}",
            .. Arguments,
            .. connectBackend is null ? Array.Empty<string>() :
            [
                "--Switchboard:Routes:4:RouteKey=$connect",
                "--Switchboard:Routes:4:Integration:Type=http",
                $"--Switchboard:Routes:4:Integration:Uri={connectBackend}",
            ],
        ],
        (false, null) => Arguments,
        (false, _) => [.. Arguments, $"--ConnectCall={connectBackend}"],
    };

    public static ServerKind Parse(string name) =>
        All.FirstOrDefault(kind => kind.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown server '{name}'; known: {string.Join(", ", All.Select(kind => kind.Name))}");
}
