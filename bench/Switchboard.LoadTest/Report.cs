using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Switchboard.LoadTest;

/// <summary>Everything one harness run measured, and how it is printed: a console table, JSON, Markdown, SVG charts.</summary>
internal sealed class Report(Settings settings, IReadOnlyList<string> arguments)
{
    private const string ReferenceServer = "switchboard";

    public List<ServerRun> Runs { get; } = [];

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public static IReadOnlyDictionary<string, string> Machine()
    {
        var info = new Dictionary<string, string>
        {
            ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["cpu"] = ReadFirst("/proc/cpuinfo", "model name")?.Split(':', 2)[1].Trim() ?? "?",
            ["memory"] = ReadFirst("/proc/meminfo", "MemTotal")?.Split(':', 2)[1].Trim() ?? "?",
            ["kernel"] = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
            [".NET"] = RuntimeInformation.FrameworkDescription,
            ["fd limit"] = ProcStat.FileDescriptorLimit().ToString(CultureInfo.InvariantCulture),
            ["load average at start"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?",
        };
        return info;
    }

    /// <summary>Figure keys in first-seen order.</summary>
    private List<(string Key, string Label, string Unit, bool HigherIsBetter)> Keys() => Runs
        .SelectMany(run => run.Metrics)
        .GroupBy(metric => metric.Key)
        .Select(group => (group.Key, group.First().Label, group.First().Unit, group.First().HigherIsBetter))
        .ToList();

    private List<ServerKind> Servers() => Runs.Select(run => run.Server).Distinct().ToList();

    private List<string> RatioPeers() => Servers().Any(server => server.Name == ReferenceServer)
        ? Servers().Where(server => server.Name != ReferenceServer).Select(server => server.Name).ToList()
        : [];

    public string ConsoleTable()
    {
        var text = new StringBuilder();
        foreach (var n in Runs.Select(run => run.Connections).Distinct())
        {
            var header = new List<string> { $"N = {n:N0}", "unit" };
            header.AddRange(Servers().Select(server => server.Name));
            header.AddRange(RatioPeers().Select(peer => $"SB/{peer}"));
            var rows = new List<List<string>> { header };
            foreach (var (key, label, unit, _) in Keys())
            {
                var row = new List<string> { label, unit };
                row.AddRange(Servers().Select(server => Find(server.Name, n, key) is { } value ? Format(value) : "–"));
                row.AddRange(RatioPeers().Select(peer => Ratio(n, key, peer) is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–"));
                rows.Add(row);
            }

            var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(row => row[c].Length)).ToArray();
            foreach (var row in rows)
            {
                text.AppendLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        foreach (var n in Runs.Select(run => run.Connections).Distinct())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"#### N = {n:N0}");
            text.AppendLine();
            text.Append("| figure | unit | ").Append(string.Join(" | ", Servers().Select(server => server.Label)));
            foreach (var peer in RatioPeers())
            {
                text.Append(CultureInfo.InvariantCulture, $" | Switchboard ÷ {ServerKind.Parse(peer).Label}");
            }

            text.AppendLine(" |");
            text.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", 2 + Servers().Count + RatioPeers().Count)));
            foreach (var (key, label, unit, higherIsBetter) in Keys())
            {
                text.Append(CultureInfo.InvariantCulture, $"| {label} {(higherIsBetter ? "↑" : "↓")} | {unit} | ");
                text.Append(string.Join(" | ", Servers().Select(server => Find(server.Name, n, key) is { } value ? Format(value) : "–")));
                foreach (var peer in RatioPeers())
                {
                    text.Append(" | ").Append(Ratio(n, key, peer) is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–");
                }

                text.AppendLine(" |");
            }

            text.AppendLine();
            foreach (var run in Runs.Where(run => run.Connections == n && run.Notes.Count > 0))
            {
                foreach (var note in run.Notes)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {run.Server.Label}: {note}");
                }
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    public void WriteJson(string path)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("started", Started);
        writer.WriteString("label", settings.Label);
        writer.WriteString("arguments", string.Join(' ', arguments));
        writer.WriteStartObject("machine");
        foreach (var (key, value) in Machine())
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("runs");
        foreach (var run in Runs)
        {
            writer.WriteStartObject();
            writer.WriteString("server", run.Server.Name);
            writer.WriteNumber("connections", run.Connections);
            writer.WriteStartObject("figures");
            foreach (var metric in run.Metrics)
            {
                writer.WriteStartObject(metric.Key);
                writer.WriteNumber("value", Math.Round(metric.Value, 4));
                writer.WriteString("unit", metric.Unit);
                writer.WriteString("label", metric.Label);
                writer.WriteBoolean("higherIsBetter", metric.HigherIsBetter);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartArray("notes");
            foreach (var note in run.Notes)
            {
                writer.WriteStringValue(note);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("ratios");
        foreach (var peer in RatioPeers())
        {
            writer.WriteStartObject($"switchboard/{peer}");
            foreach (var n in Runs.Select(run => run.Connections).Distinct())
            {
                writer.WriteStartObject(n.ToString(CultureInfo.InvariantCulture));
                foreach (var (key, _, _, _) in Keys())
                {
                    if (Ratio(n, key, peer) is { } ratio)
                    {
                        writer.WriteNumber(key, Math.Round(ratio, 4));
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public void WriteCharts(string directory)
    {
        Directory.CreateDirectory(directory);
        var ns = Runs.Select(run => run.Connections).Distinct().Order().ToList();
        var categories = ns.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)).ToList();
        var footnote = settings.Label is null ? null : $"{settings.Label}; {Environment.ProcessorCount} cores shared by server and load generator";
        void Chart(string file, string title, string yLabel, string key, bool bars) =>
            File.WriteAllText(Path.Combine(directory, file), SvgChart.Render(title, yLabel, categories,
                Servers().Select(server => (server.Label, ns.Select(n => Find(server.Name, n, key)).ToArray())).ToList(), bars, footnote));

        Chart("broadcast-deliveries.svg", "Broadcast deliveries per second (back to back)", "deliveries/s", "broadcast.deliveries_per_s", bars: false);
        Chart("broadcast-p99.svg", "Broadcast delivery latency p99 (paced)", "ms", "broadcast.paced_p99", bars: false);
        Chart("memory-per-connection.svg", "Server RSS per idle connection (after full GC)", "bytes", "idle.rss_per_conn", bars: true);
        Chart("echo-p99.svg", "Echo round trip p99", "ms", "echo.p99", bars: false);
    }

    private double? Find(string server, int n, string key) =>
        Runs.FirstOrDefault(run => run.Server.Name == server && run.Connections == n)?.Get(key);

    private double? Ratio(int n, string key, string peer) =>
        Find(ReferenceServer, n, key) is { } mine && Find(peer, n, key) is { } theirs && theirs != 0 ? mine / theirs : null;

    private static string Format(double value) => Math.Abs(value) switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };

    private static string? ReadFirst(string path, string prefix) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal)) : null;
}
