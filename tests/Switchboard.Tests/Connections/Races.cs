namespace Switchboard.Tests.Connections;

/// <summary>For tests that make two threads meet inside a window of nanoseconds, round after round.</summary>
internal static class Races
{
    /// <summary>
    /// Runs <paramref name="action"/> on a thread of its own: it may spin or block without taking a thread from the pool,
    /// where the code under test runs its continuations and writers.
    /// </summary>
    public static Task OnOwnThread(Action action) =>
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Spins tightly at first, so that the condition is noticed within nanoseconds of becoming true; then yields, so
    /// that a thread the condition waits for gets a core when there are few.
    /// </summary>
    public static void SpinUntil(Func<bool> condition)
    {
        var spinner = default(SpinWait);
        for (var spins = 0; !condition(); spins++)
        {
            if (spins < 10_000)
            {
                Thread.SpinWait(1);
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }
}
