using Microsoft.Extensions.Time.Testing;

namespace Switchboard.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that lets a test wait until the code under test has armed a timer of a given
/// due time (for example the integration timeout of a route), so that advancing the clock cannot race the
/// creation of that timer.
/// </summary>
public sealed class ObservableFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TimeSpan, int> _created = [];
    private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Signal)> _waiters = [];

    /// <summary>A fake clock starting at the real current time (so stored timestamps look sane).</summary>
    public ObservableFakeTimeProvider()
        : this(DateTimeOffset.UtcNow)
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_lock)
        {
            var count = _created[dueTime] = _created.GetValueOrDefault(dueTime) + 1;
            foreach (var waiter in _waiters.Where(w => w.DueTime == dueTime && w.Count <= count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }

        return timer;
    }

    /// <summary>How many timers with <paramref name="dueTime"/> have been created so far.</summary>
    public int TimersCreated(TimeSpan dueTime)
    {
        lock (_lock)
        {
            return _created.GetValueOrDefault(dueTime);
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> timers with <paramref name="dueTime"/> have been created; throws on timeout.</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1, TimeSpan? timeout = null)
    {
        lock (_lock)
        {
            if (_created.GetValueOrDefault(dueTime) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, signal));
            return signal.Task.WaitAsync(timeout ?? TestClient.DefaultTimeout);
        }
    }
}
