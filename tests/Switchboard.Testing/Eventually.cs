using System.Diagnostics;
using Xunit;

namespace Switchboard.Testing;

/// <summary>
/// Bounded polling for state that announces no event (a database row, a registry entry written in the background):
/// checks every 20 ms and fails with what it waited for once the bound has passed. Where an event exists, await it instead.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan bound, string what, Func<string>? diagnostics = null) =>
        UntilAsync(condition, done => done, bound, what, diagnostics);

    /// <summary>Reads until <paramref name="done"/> holds for the value read, and returns that value.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan bound, string what, Func<string>? diagnostics = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (stopwatch.Elapsed > bound)
            {
                Assert.Fail($"Timed out after {bound} waiting for {what}; last value: {value}.{(diagnostics is null ? "" : Environment.NewLine + diagnostics())}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
