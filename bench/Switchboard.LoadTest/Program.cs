using System.Diagnostics;
using Switchboard.LoadTest;

if (args.Length > 0 && args[0] == "memory-limit")
{
    return await MemoryLimitRun.RunAsync(args.Skip(1).ToList());
}

// churn: connect/message/disconnect cycles against the real gateway with http integrations, on SQLite or Redis
// (ChurnRun); exit 1 when a check failed.
if (args.Length > 0 && args[0] == "churn")
{
    return await RunChurnAsync(args.Skip(1).ToList());
}

// compare: starts each server in turn (a fresh process per server and connection count, in the order given),
// runs every scenario, prints progress, then the table with ratios, and writes results.json, results.md and charts.
// mass: thousands of connections ending at once, each phase on a fresh gateway (MassEvents).
if (args.Length > 0 && args[0] == "mass")
{
    return await MassCommand.RunAsync(args);
}

if (args.Length == 0 || args[0] is "-h" or "--help" || args[0] != "compare")
{
    Console.WriteLine(Settings.Usage);
    Console.WriteLine(MemoryLimitRun.Usage);
    Console.WriteLine(MassSettings.Usage);
    Console.WriteLine();
    Console.WriteLine(ChurnSettings.Usage);
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}

Settings settings;
try
{
    settings = Settings.Parse(args.Skip(1).ToList());
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 2;
}

foreach (var server in settings.Servers)
{
    if (!File.Exists(server.AssemblyPath(settings.RepositoryRoot)))
    {
        Console.Error.WriteLine($"{server.AssemblyPath(settings.RepositoryRoot)} is missing: build it first (bench/run.sh does).");
        return 2;
    }
}

var tooMany = settings.Connections.Where(n => n > Settings.MaxConnections).ToList();
if (tooMany.Count > 0)
{
    Console.Error.WriteLine($"N = {string.Join(", ", tooMany)} exceeds what the open-file limit allows ({Settings.MaxConnections}).");
    return 2;
}

var report = new Report(settings, args);
Console.WriteLine($"Switchboard load harness{(settings.Label is null ? "" : $" ({settings.Label})")}");
Console.WriteLine(string.Join(", ", Report.Machine().Select(pair => $"{pair.Key}: {pair.Value}")));
Console.WriteLine($"servers: {string.Join(", ", settings.Servers.Select(server => server.Name))}; N: {string.Join(", ", settings.Connections)}{(settings.Tls ? "; over TLS (wss, https)" : "")}");
using var tls = settings.Tls ? new HarnessTls() : null;
var runner = new Runner(settings, tls);
var total = Stopwatch.StartNew();
foreach (var n in settings.Connections)
{
    foreach (var server in settings.Servers)
    {
        Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {server.Label}, N = {n:N0}");
        try
        {
            report.Runs.Add(await runner.RunAsync(server, n));
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException or IOException or HttpRequestException)
        {
            Console.Error.WriteLine($"  {server.Name} at N = {n}: {exception.Message}");
            var failed = new ServerRun(server, n);
            failed.Notes.Add($"run failed: {exception.Message.Split('\n')[0]}");
            report.Runs.Add(failed);
        }
    }
}

Console.WriteLine();
Console.WriteLine($"Done in {total.Elapsed:mm\\:ss}. Ratios are Switchboard ÷ peer: above 1 is better for rates, below 1 for latency, CPU and memory.");
Console.WriteLine();
Console.Write(report.ConsoleTable());
Directory.CreateDirectory(settings.OutputDirectory);
report.WriteJson(Path.Combine(settings.OutputDirectory, "results.json"));
File.WriteAllText(Path.Combine(settings.OutputDirectory, "results.md"), report.Markdown());
report.WriteCharts(Path.Combine(settings.OutputDirectory, "charts"));
Console.WriteLine($"Wrote {settings.OutputDirectory}/results.json, results.md and charts/*.svg");
return 0;

static async Task<int> RunChurnAsync(List<string> arguments)
{
    if (arguments.Contains("--help") || arguments.Contains("-h"))
    {
        Console.WriteLine(ChurnSettings.Usage);
        return 0;
    }

    ChurnSettings settings;
    try
    {
        settings = ChurnSettings.Parse(arguments);
    }
    catch (ArgumentException exception)
    {
        Console.Error.WriteLine(exception.Message);
        return 2;
    }

    if (!File.Exists(ServerKind.Switchboard.AssemblyPath(settings.RepositoryRoot)))
    {
        Console.Error.WriteLine($"{ServerKind.Switchboard.AssemblyPath(settings.RepositoryRoot)} is missing: build it first (bench/churn.sh does).");
        return 2;
    }

    Console.WriteLine($"Switchboard churn soak{(settings.Label is null ? "" : $" ({settings.Label})")}");
    Console.WriteLine(string.Join(", ", Report.Machine().Select(pair => $"{pair.Key}: {pair.Value}")));
    var passed = true;
    foreach (var registry in settings.Registries)
    {
        Console.WriteLine($"== {registry}: {settings.Duration.TotalMinutes:0.#} min, {settings.Concurrency} clients, {settings.Messages} messages per cycle");
        var total = Stopwatch.StartNew();
        var result = await new ChurnRun(settings, registry, line => Console.WriteLine($"[{total.Elapsed:hh\\:mm\\:ss}] {line}")).RunAsync();
        Console.WriteLine();
        Console.Write(ChurnReport.Summary(result));
        var directory = settings.Registries.Count == 1 ? settings.OutputDirectory : Path.Combine(settings.OutputDirectory, registry);
        ChurnReport.Write(result, settings, arguments, directory);
        Console.WriteLine($"Wrote {directory}/results.md and results.json; {(result.Passed ? "every check held" : "A CHECK FAILED")}");
        passed &= result.Passed;
    }

    return passed ? 0 : 1;
}
