using System.Diagnostics;
using System.Globalization;

namespace Switchboard.LoadTest;

/// <summary>The <c>mass</c> subcommand: runs the phases of <see cref="MassEvents"/>, prints and writes the table; exit code 1 when any phase failed.</summary>
internal static class MassCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Skip(1).Any(arg => arg is "-h" or "--help"))
        {
            Console.WriteLine(MassSettings.Usage);
            return 0;
        }

        MassSettings settings;
        try
        {
            settings = MassSettings.Parse(args.Skip(1).ToList());
        }
        catch (ArgumentException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return 2;
        }

        if (!File.Exists(ServerKind.Switchboard.AssemblyPath(settings.RepositoryRoot)))
        {
            Console.Error.WriteLine($"{ServerKind.Switchboard.AssemblyPath(settings.RepositoryRoot)} is missing: build it first (bench/mass.sh does).");
            return 2;
        }

        var machine = Report.Machine();
        Console.WriteLine("Switchboard load harness: mass events");
        Console.WriteLine(string.Join(", ", machine.Select(pair => $"{pair.Key}: {pair.Value}")));
        Console.WriteLine($"clients: {settings.Clients:N0}; phases: {string.Join(", ", settings.Phases).ToLowerInvariant()}");
        var total = Stopwatch.StartNew();
        var results = new List<MassResult>();
        var mass = new MassEvents(settings);
        foreach (var phase in settings.Phases)
        {
            Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {phase.ToString().ToLowerInvariant()}");
            results.Add(await mass.RunAsync(phase));
        }

        var table = MassEvents.Markdown(results);
        Console.WriteLine();
        Console.WriteLine($"Done in {total.Elapsed:mm\\:ss}; times are seconds from the moment the connections were ended.");
        Console.WriteLine();
        Console.Write(table);
        foreach (var result in results.Where(result => result.Notes.Count > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"{result.Phase.ToString().ToLowerInvariant()}:");
            foreach (var note in result.Notes)
            {
                Console.WriteLine("  " + note);
            }
        }

        Directory.CreateDirectory(settings.OutputDirectory);
        var path = Path.Combine(settings.OutputDirectory, "mass.md");
        await File.WriteAllTextAsync(path, string.Create(CultureInfo.InvariantCulture,
            $"Mass events, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, `{string.Join(' ', args)}`{Environment.NewLine}{Environment.NewLine}" +
            $"{string.Join(", ", machine.Select(pair => $"{pair.Key}: {pair.Value}"))}{Environment.NewLine}{Environment.NewLine}{table}"));
        Console.WriteLine();
        Console.WriteLine($"Wrote {path}");
        return results.All(result => result.Passed) ? 0 : 1;
    }
}
