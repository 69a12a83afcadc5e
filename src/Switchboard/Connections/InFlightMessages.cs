namespace Switchboard.Connections;

/// <summary>
/// Counts one connection's messages whose integrations are still running. Messages are dispatched in
/// arrival order and may complete in any order (as on API Gateway); at most <c>limit</c> run at once, after
/// which the reader stops reading — TCP backpressure instead of unbounded memory.
/// </summary>
/// <remarks>
/// Lock-free, and small because every open connection has one. There is at most one waiter at a time: the
/// connection's read loop (<see cref="EnterAsync"/>), then after it ended <see cref="WaitIdleAsync"/>. A waiter
/// publishes its signal before it re-checks the count, and <see cref="Exit"/> takes the signal after it lowered the
/// count, so a slot freed between the two is never missed.
/// </remarks>
internal sealed class InFlightMessages(int limit)
{
    private int _count;
    private TaskCompletionSource? _changed;

    /// <summary>Waits for a free slot and takes it.</summary>
    public ValueTask EnterAsync(CancellationToken cancellationToken) =>
        TryEnter() ? ValueTask.CompletedTask : WaitAndEnterAsync(cancellationToken);

    public void Exit()
    {
        Interlocked.Decrement(ref _count);
        Interlocked.Exchange(ref _changed, null)?.TrySetResult();
    }

    /// <summary>Completes when no message is in flight.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        // Every connection's end comes through here, almost always with nothing in flight: no signal for that case.
        while (Volatile.Read(ref _count) != 0)
        {
            var changed = Signal();
            if (Volatile.Read(ref _count) == 0)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryEnter()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    private async ValueTask WaitAndEnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Signal();
            if (TryEnter())
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The signal the next <see cref="Exit"/> completes, published before the caller re-checks the count.</summary>
    private Task Signal()
    {
        if (Volatile.Read(ref _changed) is { } published)
        {
            return published.Task;
        }

        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _changed, created, null) ?? created).Task;
    }
}
