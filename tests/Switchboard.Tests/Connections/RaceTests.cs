namespace Switchboard.Tests.Connections;

/// <summary>
/// Tests that time threads against each other (<see cref="Races"/>) run on their own, after the others: on a machine
/// with few cores, threads of other tests would take the cores they spin on, and a round that takes microseconds alone
/// would take a scheduler's time slice.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RaceTests
{
    public const string Name = "Races";
}
