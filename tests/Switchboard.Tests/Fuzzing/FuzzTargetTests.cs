using Switchboard.Fuzz;

namespace Switchboard.Tests.Fuzzing;

/// <summary>
/// A fixed slice of each fuzz target (bench/Switchboard.Fuzz runs a million random cases of each): the same generated
/// inputs on every run, so a change that breaks a parser's properties fails here deterministically. Crashes the fuzzer
/// finds become regression tests next to the parser's own tests (for example TrustedProxiesTests' "443").
/// </summary>
public sealed class FuzzTargetTests
{
    private const int CasesPerTarget = 3_000;

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(target => target.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void FixedSlice_KeepsEveryProperty(string name)
    {
        var target = FuzzTargets.All.Single(target => target.Name == name);
        foreach (var seed in new ulong[] { 1, 20261203, 0x5EED_F00D_CAFE })
        {
            target.Replay(CasesPerTarget, seed);
        }
    }

    [Fact]
    public void Replay_IsDeterministic_TheSameCasesForTheSameSeed()
    {
        var seen = new List<string>();
        var target = new FuzzTarget<string>("record", CsCheck.Gen.String[0, 20], seen.Add);
        target.Replay(50, 7);
        var first = seen.ToList();
        seen.Clear();
        target.Replay(50, 7);
        Assert.Equal(first, seen);
        Assert.True(first.Distinct().Count() > 10, "the cases vary");
    }

    [Fact]
    public void APropertyThatBreaks_FailsNamingTheTargetCaseAndSeed()
    {
        var target = new FuzzTarget<int>("breaks", CsCheck.Gen.Int[0, 100], value => Assert.True(value < 90));
        var failure = Assert.Throws<InvalidOperationException>(() => target.Replay(1_000, 3));
        Assert.StartsWith("breaks, case ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("of seed 3", failure.Message, StringComparison.Ordinal);
    }
}
