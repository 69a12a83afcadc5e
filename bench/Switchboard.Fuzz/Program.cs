using System.Diagnostics;
using System.Globalization;
using Switchboard.Fuzz;

// Runs every fuzz target (or those named) for --iterations cases each (default 1,000,000), one after the other, and
// prints one line per target: cases, time, and the smallest failing case with its seed when a property broke.
//
//   dotnet run -c Release --project bench/Switchboard.Fuzz                       # all targets, a million cases each
//   dotnet run -c Release --project bench/Switchboard.Fuzz -- --iterations 10000 handshake-head
//   dotnet run -c Release --project bench/Switchboard.Fuzz -- --seed <seed> frame-reader-bytes   # replay a failure
var iterations = 1_000_000L;
string? seed = null;
var names = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--iterations" when i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var count) && count > 0:
            iterations = count;
            i++;
            break;
        case "--seed" when i + 1 < args.Length:
            seed = args[++i];
            break;
        case "--list":
            Console.WriteLine(string.Join(Environment.NewLine, FuzzTargets.All.Select(target => target.Name)));
            return 0;
        default:
            if (args[i].StartsWith('-') || FuzzTargets.All.All(target => target.Name != args[i]))
            {
                Console.Error.WriteLine($"unknown argument '{args[i]}'; targets: {string.Join(", ", FuzzTargets.All.Select(target => target.Name))}; options: --iterations N, --seed S, --list");
                return 2;
            }

            names.Add(args[i]);
            break;
    }
}

var failed = 0;
Console.WriteLine($"| target | cases | seconds | cases/s | result |");
Console.WriteLine($"|---|---:|---:|---:|---|");
foreach (var target in FuzzTargets.All.Where(target => names.Count == 0 || names.Contains(target.Name)))
{
    var clock = Stopwatch.StartNew();
    string result;
    try
    {
        target.Sample(iterations, seed);
        result = "no failure";
    }
    catch (Exception exception)
    {
        failed++;
        // CsCheck's message names the smallest failing case and its seed; the inner exception is what the property threw.
        var cause = exception.InnerException is { } inner ? $" — {inner.GetType().Name}: {inner.Message}{(Environment.GetEnvironmentVariable("FUZZ_STACK") is null ? "" : inner.StackTrace)}" : "";
        result = "FAILED: " + (exception.Message + cause).ReplaceLineEndings(" ");
    }

    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {target.Name} | {iterations:N0} | {seconds:F1} | {iterations / seconds:N0} | {result} |"));
}

return failed == 0 ? 0 : 1;
