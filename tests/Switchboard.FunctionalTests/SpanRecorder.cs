using System.Diagnostics;
using Switchboard.Diagnostics;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Listens to the <c>Switchboard</c> activity source (every span recorded) and keeps the spans that ended. The
/// listener is process-wide, so spans of gateways in other tests arrive too: tests find theirs by trace id, request
/// id or connection id.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<Activity> _ended = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SwitchboardActivities.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                TaskCompletionSource changed;
                lock (_ended)
                {
                    _ended.Add(activity);
                    changed = _changed;
                    _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                changed.TrySetResult();
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The first ended span that matches, waiting for it to end.</summary>
    public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
    {
        using var timeout = new CancellationTokenSource(Switchboard.Testing.TestClient.DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_ended)
            {
                if (_ended.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }

    public Task<Activity> WaitForAsync(string name, string tag, string value) =>
        WaitForAsync(span => span.DisplayName == name && span.GetTagItem(tag) as string == value);

    public void Dispose() => _listener.Dispose();
}
