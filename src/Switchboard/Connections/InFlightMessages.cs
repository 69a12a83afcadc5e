namespace Switchboard.Connections;

/// <summary>
/// Counts one connection's messages whose integrations are still running. Messages are dispatched in
/// arrival order and may complete in any order (as on API Gateway); at most <c>limit</c> run at once, after
/// which the reader stops reading — TCP backpressure instead of unbounded memory.
/// </summary>
internal sealed class InFlightMessages(int limit)
{
    private readonly Lock _lock = new();
    private int _count;
    private TaskCompletionSource? _changed;

    /// <summary>Waits for a free slot and takes it.</summary>
    public ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_count < limit)
            {
                _count++;
                return ValueTask.CompletedTask;
            }
        }

        return WaitAndEnterAsync(cancellationToken);
    }

    public void Exit()
    {
        TaskCompletionSource? changed;
        lock (_lock)
        {
            _count--;
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    /// <summary>Completes when no message is in flight.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_count == 0)
                {
                    return;
                }

                changed = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WaitAndEnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_count < limit)
                {
                    _count++;
                    return;
                }

                changed = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
