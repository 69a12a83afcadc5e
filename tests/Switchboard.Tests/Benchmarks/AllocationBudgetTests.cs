using System.Text.Json;
using Switchboard.Benchmarks;

namespace Switchboard.Tests.Benchmarks;

/// <summary>
/// Holds the hot paths to <c>bench/allocation-budget.json</c>: each operation of the micro-benchmarks runs many times
/// and the bytes it allocated on this thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) per run must stay
/// within its budget. The fan-out's pumps run on the thread pool, so only the queueing side is held here; the
/// BenchmarkDotNet figure includes them.
/// </summary>
public sealed class AllocationBudgetTests : IDisposable
{
    private const int Iterations = 2000;
    private const int FanOutIterations = 50;
    private readonly HotPathOperations _operations = new();

    public static TheoryData<string> BudgetedOperations()
    {
        var data = new TheoryData<string>();
        foreach (var name in Budgets().Keys)
        {
            data.Add(name);
        }

        return data;
    }

#if DEBUG
    // Budgets are Release figures: Debug builds allocate every async state machine, so they would fail for nothing.
    [Theory(Skip = "Allocation budgets hold for Release builds; ./test.sh runs them in Release.")]
#else
    [Theory]
#endif
    [MemberData(nameof(BudgetedOperations))]
    public void HotPathOperation_AllocatesWithinItsBudget(string name)
    {
        var budget = Budgets()[name];
        var operation = _operations.ByName()[name];
        var iterations = name.StartsWith("FanOut.", StringComparison.Ordinal) ? FanOutIterations : Iterations;
        for (var i = 0; i < Math.Min(iterations, 200); i++)
        {
            operation();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            operation();
        }

        var perOperation = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)iterations;
        Assert.True(perOperation <= budget,
            $"{name} allocated {perOperation:F1} bytes per operation; its budget in bench/allocation-budget.json is {budget}.");
    }

    [Fact]
    public void EveryBenchmarkedOperation_HasABudget() =>
        Assert.Equal(_operations.ByName().Keys.Order(StringComparer.Ordinal), Budgets().Keys.Order(StringComparer.Ordinal));

    public void Dispose() => _operations.Dispose();

    private static Dictionary<string, long> Budgets()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(BudgetPath()));
        return document.RootElement.GetProperty("budgets").EnumerateObject()
            .ToDictionary(budget => budget.Name, budget => budget.Value.GetProperty("bytesPerOperation").GetInt64(), StringComparer.Ordinal);
    }

    private static string BudgetPath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "bench", "allocation-budget.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("bench/allocation-budget.json was not found above " + AppContext.BaseDirectory);
    }
}
