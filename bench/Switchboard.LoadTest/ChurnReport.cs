using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Switchboard.LoadTest;

/// <summary>How a churn run is written: results.md (tables) and results.json (every figure), one directory per registry.</summary>
internal static class ChurnReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(ChurnResult result, ChurnSettings settings, IReadOnlyList<string> arguments, string directory)
    {
        Directory.CreateDirectory(directory);
        var commit = result.Commit;
        File.WriteAllText(Path.Combine(directory, "results.md"), Markdown(result, settings, arguments, commit));
        File.WriteAllText(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(new
        {
            result.Registry,
            result.Nodes,
            commit,
            started = result.Started,
            command = "churn " + string.Join(' ', arguments),
            machine = Machine(result),
            settings = new
            {
                durationSeconds = settings.Duration.TotalSeconds,
                settings.Concurrency,
                settings.Messages,
                checkpointSeconds = settings.CheckpointInterval.TotalSeconds,
                settings.ResetPercent,
                settings.FinPercent,
                settings.SourceAddresses,
            },
            result.DurationSeconds,
            result.Cycles,
            result.Handshakes,
            result.MessagesAnswered,
            result.Closes,
            result.Errors,
            result.FirstError,
            result.BackendConnects,
            result.BackendDisconnects,
            result.BackendMessages,
            result.Audit,
            result.DisconnectDrainSeconds,
            result.FinalRegistry,
            result.FinalNodeTables,
            result.ConnectP50Ms,
            result.ConnectP99Ms,
            result.ConnectMaxMs,
            result.LoadAverageStart,
            result.LoadAverageEnd,
            result.Baseline,
            result.Checkpoints,
            result.Final,
            result.Trends,
            result.Checks,
            result.Passed,
        }, Json));
    }

    /// <summary>The summary printed at the end of a run (the first tables of results.md).</summary>
    public static string Summary(ChurnResult result)
    {
        var text = new StringBuilder();
        var rate = result.Cycles / Math.Max(1, result.DurationSeconds);
        text.AppendLine("| figure | value |");
        text.AppendLine("|---|---|");
        Row(text, "cycles (connect → messages → disconnect)", $"{result.Cycles:N0} in {result.DurationSeconds / 60:0.0} min ({rate:N0}/s)");
        Row(text, "messages answered through $default", $"{result.MessagesAnswered:N0} (backend: {result.BackendMessages:N0})");
        Row(text, "ends", string.Join(", ", result.Closes.Select(pair => $"{pair.Key} {pair.Value:N0}")));
        Row(text, "client errors", result.Errors.Count == 0 ? "none" : string.Join(", ", result.Errors.Select(pair => $"{pair.Key} {pair.Value:N0}")) + $" (first: {result.FirstError})");
        Row(text, "$connect / $disconnect calls at the backend", $"{result.BackendConnects:N0} / {result.BackendDisconnects:N0}");
        Row(text, "ids: one $connect and one $disconnect each", result.Audit is { } audit ? $"{audit.Ids:N0} ids, {(audit.Matched ? "all matched" : "NOT matched")}" : "?");
        Row(text, "last $disconnect after the last client closed", $"{result.DisconnectDrainSeconds:0.00} s");
        Row(text, "registry / node tables at the end", $"{result.FinalRegistry} / {result.FinalNodeTables}");
        Row(text, "connect latency (handshake incl. $connect), whole run", $"p50 {result.ConnectP50Ms:0.0} ms, p99 {result.ConnectP99Ms:0.0} ms, max {result.ConnectMaxMs:0.0} ms");
        Row(text, "p99 connect latency per checkpoint window", result.Checkpoints.Count == 0 ? "–" : $"{result.Checkpoints.Min(c => c.ConnectP99Ms):0.0}–{result.Checkpoints.Max(c => c.ConnectP99Ms):0.0} ms");
        foreach (var trend in result.Trends)
        {
            Row(text, $"{trend.Name}: after first checkpoint → end, slope per 100k cycles", $"{Number(trend.First)} → {Number(trend.Last)} {trend.Unit}, {Number(trend.SlopePer100kCycles)} {trend.Unit}");
        }

        Row(text, "load average at start / end", $"{result.LoadAverageStart} / {result.LoadAverageEnd}");
        text.AppendLine();
        text.AppendLine("| check | held | detail |");
        text.AppendLine("|---|---|---|");
        foreach (var check in result.Checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {check.What} | {(check.Held ? "yes" : "**NO**")} | {check.Detail.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return text.ToString();
    }

    private static string Markdown(ChurnResult result, ChurnSettings settings, IReadOnlyList<string> arguments, string commit)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Churn soak: {result.Registry}{(result.Nodes > 1 ? $", {result.Nodes} nodes" : "")}{(settings.Label is null ? "" : $" ({settings.Label})")}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Commit `{commit}`, started {result.Started:yyyy-MM-dd HH:mm} UTC. Command: `bench/churn.sh {string.Join(' ', arguments)}`.");
        text.AppendLine(CultureInfo.InvariantCulture, $"{settings.Concurrency} clients cycling, {settings.Messages} messages per cycle, ends: {settings.ResetPercent} % TCP reset, {settings.FinPercent} % FIN without close frame, the rest a close frame.");
        text.AppendLine();
        text.AppendLine(string.Join(", ", Machine(result).Select(pair => $"{pair.Key}: {pair.Value}")));
        text.AppendLine();
        text.Append(Summary(result));
        text.AppendLine();
        text.AppendLine("## Checkpoints");
        text.AppendLine();
        text.AppendLine("Clients paused, even-numbered ones holding an open connection; figures after the registry had up to 20 s to settle.");
        text.AppendLine();
        var names = result.Checkpoints.FirstOrDefault()?.Processes.Select(process => process.Name).ToList() ?? [];
        text.AppendLine("| time | cycles | cycles/s | connects | connect p50 / p99 / max ms | live | registry | node tables | backend open | settled in | "
            + string.Join(" | ", names.Select(name => $"{name} RSS MB (after GC) / fds (client sockets)")) + " | load |");
        text.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", 11 + names.Count)));
        foreach (var c in result.Checkpoints)
        {
            text.AppendLine(
                $"| {TimeSpan.FromSeconds(c.ElapsedSeconds):hh\\:mm\\:ss} | {c.Cycles:N0} | {c.CyclesPerSecond:N0} | {c.Connects:N0} | {c.ConnectP50Ms:0.0} / {c.ConnectP99Ms:0.0} / {c.ConnectMaxMs:0} | "
                + $"{c.LiveSockets} | {c.Registry} | {c.NodeTables} | {c.BackendOpen} | {c.SettleMs:N0} ms | "
                + string.Join(" | ", names.Select(name => c.Processes.FirstOrDefault(p => p.Name == name) is { } p ? $"{p.ResidentBytes / 1048576.0:0.0} ({p.ResidentAfterGcBytes / 1048576.0:0.0}) / {p.OpenFiles} ({p.Connections})" : "–"))
                + $" | {c.LoadAverage} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Before the first cycle: {string.Join(", ", result.Baseline.Select(p => $"{p.Name} {p.ResidentAfterGcBytes / 1048576.0:0.0} MB after GC, {p.OpenFiles} fds"))}. "
            + $"After the last: {string.Join(", ", result.Final.Select(p => $"{p.Name} {p.ResidentAfterGcBytes / 1048576.0:0.0} MB after GC, {p.OpenFiles} fds"))}.");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string figure, string value) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {figure} | {value} |");

    private static string Number(double value) => value.ToString(Math.Abs(value) >= 100 ? "N0" : "0.00", CultureInfo.InvariantCulture);

    /// <summary>The machine, with the load averages of the run's start and end (not of the moment the report is written).</summary>
    private static Dictionary<string, string> Machine(ChurnResult result)
    {
        var machine = Report.Machine().Where(pair => pair.Key != "load average at start").ToDictionary();
        machine["load average at start"] = result.LoadAverageStart;
        machine["load average at end"] = result.LoadAverageEnd;
        return machine;
    }

    public static string Commit(string repositoryRoot)
    {
        try
        {
            var info = new ProcessStartInfo("git", ["-C", repositoryRoot, "describe", "--always", "--dirty", "--abbrev=7"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var git = Process.Start(info)!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return commit.Length > 0 ? commit : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
