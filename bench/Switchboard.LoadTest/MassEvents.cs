using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Switchboard.LoadTest;

/// <summary>
/// One phase of the <c>mass</c> subcommand on a fresh gateway: opens the clients (each <c>$connect</c> answered by the
/// backend), ends them all at once as <see cref="MassPhase"/> says, and counts the <c>$disconnect</c> calls that reach
/// the backend until every one has, or none arrived for <see cref="MassSettings.QuietSeconds"/>, or the gateway exited.
/// </summary>
internal sealed class MassEvents(MassSettings settings)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>How long after the gateway exited a <c>$disconnect</c> it sent may still be counted.</summary>
    private static readonly TimeSpan AfterExit = TimeSpan.FromSeconds(1);

    /// <summary>The gateway's configuration: the demo routes (0–3) plus <c>$connect</c> and <c>$disconnect</c> on the backend.</summary>
    /// <remarks>
    /// The connection cap the gateway derives from a 20,000 open-file limit is 17,817 (docs/configuration.md,
    /// Limits:MaxConnections); ServerKind sets it to what the harness may open, and the descriptors it needs beyond that
    /// (~220 at idle, at most 128 pooled backend connections, the registry's files) fit in the rest.
    /// </remarks>
    private static IEnumerable<string> GatewayArguments(IntegrationBackend backend) =>
    [
        "--Switchboard:Routes:4:RouteKey=$connect",
        "--Switchboard:Routes:4:Integration:Type=http",
        $"--Switchboard:Routes:4:Integration:Uri={backend.ConnectUri}",
        "--Switchboard:Routes:5:RouteKey=$disconnect",
        "--Switchboard:Routes:5:Integration:Type=http",
        $"--Switchboard:Routes:5:Integration:Uri={backend.DisconnectUri}",
    ];

    public async Task<MassResult> RunAsync(MassPhase phase)
    {
        var name = phase.ToString().ToLowerInvariant();
        void Progress(string text) => Console.WriteLine($"  [{name}] {text}");

        await using var backend = await IntegrationBackend.StartAsync();
        await using var server = ServerProcess.Start(ServerKind.Switchboard, settings.RepositoryRoot, tls: null, extraArguments: GatewayArguments(backend).Concat(settings.GatewaySettings));
        using var management = new ManagementClient(server.Port, 2, tls: null);
        await server.WaitReadyAsync(management, TimeSpan.FromSeconds(60));
        Progress($"gateway pid {server.Pid}, port {server.Port}; backend {backend.BaseUri}");

        var fleet = new Fleet(server.EndPoint, "/production", WireProtocol.Actions, settings.Sources, tls: null);
        try
        {
            var connect = await fleet.ConnectAsync(settings.Clients, settings.ConnectConcurrency, TimeSpan.FromSeconds(Math.Max(60, settings.Clients / 50.0)), Progress);
            Progress($"connected {connect.Connected:N0} in {connect.Elapsed.TotalSeconds:F1} s ({connect.Connected / connect.Elapsed.TotalSeconds:N0}/s), {connect.Failed} failed{(connect.FirstError is null ? "" : $" (first: {connect.FirstError})")}");
            var result = new MassResult(phase, settings.Clients)
            {
                Connected = connect.Connected,
                ConnectSeconds = connect.Elapsed.TotalSeconds,
                GatewayCounted = await management.TryGetConnectionCountAsync() ?? -1,
                Connects = backend.Connects,
            };

            var clients = fleet.Clients.ToList();
            backend.Delay = settings.BackendDelay; // for the $disconnect calls only
            var started = Stopwatch.GetTimestamp();
            Task<int?>? exited = null;
            switch (phase)
            {
                case MassPhase.Close:
                    foreach (var client in clients)
                    {
                        try
                        {
                            await client.SendCloseAsync(1000);
                        }
                        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                        {
                        }
                    }

                    break;
                case MassPhase.Reset:
                    foreach (var client in clients)
                    {
                        client.Abort();
                    }

                    break;
                case MassPhase.Shutdown:
                    await server.SignalTerminateAsync();
                    exited = server.WaitForExitAsync(TimeSpan.FromMinutes(2));
                    break;
            }

            result.EndSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Progress($"{Describe(phase)} {clients.Count:N0} connections in {result.EndSeconds:F2} s; counting $disconnect calls");
            await CountAsync(result, backend, fleet, exited, started, Progress);
            if (exited is not null)
            {
                result.ExitCode = await exited;
            }

            var audit = backend.Audit();
            result.Delivered = result.Connects - audit.Open;
            result.Missing = audit.Open;
            result.Repeated = audit.RepeatedDisconnect;
            result.Unknown = audit.DisconnectWithoutConnect;
            result.ServerCloseCodes = clients.Where(client => client.ServerCloseCode is not null).GroupBy(client => client.ServerCloseCode!.Value).OrderBy(group => group.Key).ToDictionary(group => group.Key, group => group.Count());
            if (!result.Passed)
            {
                result.Notes.AddRange(audit.Examples.Take(3));
                result.Notes.AddRange(Warnings(server.LastLines()));
            }

            Progress(result.Summary());
            return result;
        }
        finally
        {
            fleet.CloseAll();
        }
    }

    /// <summary>The gateway's warnings and errors among its last lines of output (console format: level line, then message line).</summary>
    private static IEnumerable<string> Warnings(string output)
    {
        var lines = output.Split(Environment.NewLine);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("warn:", StringComparison.Ordinal) || lines[i].TrimStart().StartsWith("fail:", StringComparison.Ordinal))
            {
                yield return i + 1 < lines.Length ? $"{lines[i].Trim()} {lines[i + 1].Trim()}" : lines[i].Trim();
            }
        }
    }

    private static string Describe(MassPhase phase) => phase switch
    {
        MassPhase.Close => "sent close frames on",
        MassPhase.Reset => "reset",
        _ => "sent SIGTERM to the gateway holding",
    };

    /// <summary>Polls the backend's count (and the clients', and the gateway's exit) until every <c>$disconnect</c> arrived or waiting is pointless.</summary>
    private async Task CountAsync(MassResult result, IntegrationBackend backend, Fleet fleet, Task<int?>? exited, long started, Action<string> progress)
    {
        var quiet = TimeSpan.FromSeconds(settings.QuietSeconds);
        var expectedClosed = fleet.Clients.Count;
        long lastCount = 0;
        var lastChange = TimeSpan.Zero;
        var lastReport = TimeSpan.Zero;
        TimeSpan? exitedAt = null;
        while (true)
        {
            var now = Stopwatch.GetElapsedTime(started);
            var count = backend.Disconnects;
            if (count != lastCount)
            {
                lastCount = count;
                lastChange = now;
                result.LastDisconnectSeconds = now.TotalSeconds;
            }

            if (result.ClientsClosedSeconds is null && fleet.Closed >= expectedClosed)
            {
                result.ClientsClosedSeconds = now.TotalSeconds;
            }

            if (exited is { IsCompleted: true } && exitedAt is null)
            {
                exitedAt = now;
                result.ExitSeconds = now.TotalSeconds;
            }

            if (count >= result.Connects && (exited is null || exitedAt is not null))
            {
                return;
            }

            if (exitedAt is { } exit && now - exit > AfterExit)
            {
                return;
            }

            if (now - lastChange > quiet && (exited is null || exitedAt is not null))
            {
                result.Notes.Add($"no $disconnect arrived for {quiet.TotalSeconds:F0} s; stopped waiting");
                return;
            }

            if (now - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = now;
                progress($"{now.TotalSeconds:F0} s: {count:N0}/{result.Connects:N0} $disconnect, {fleet.Closed:N0} clients closed");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The results as a Markdown table (the one docs/reliability.md shows).</summary>
    public static string Markdown(IReadOnlyList<MassResult> results)
    {
        var lines = new List<string>
        {
            "| phase | clients | `$connect` | `$disconnect` delivered | missing | repeated | last `$disconnect` | clients closed | server close codes | gateway exit |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        };
        foreach (var result in results)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {result.Phase.ToString().ToLowerInvariant()} | {result.Connected:N0} | {result.Connects:N0} | {result.Delivered:N0} | {result.Missing:N0} | {result.Repeated:N0} | {Seconds(result.LastDisconnectSeconds)} | {Seconds(result.ClientsClosedSeconds)} | {result.CloseCodes()} | {(result.Phase == MassPhase.Shutdown ? $"{result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "still running"} after {Seconds(result.ExitSeconds)}" : "—")} |"));
        }

        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    private static string Seconds(double? seconds) => seconds is { } value ? value.ToString("F2", CultureInfo.InvariantCulture) + " s" : "—";
}
