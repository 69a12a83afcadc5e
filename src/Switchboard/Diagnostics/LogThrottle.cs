namespace Switchboard.Diagnostics;

/// <summary>
/// At most one log line per interval for an event that a caller can repeat at will (a refused request), so that
/// refusing a flood does not turn into a flood of warnings. The line that gets through reports how many were skipped.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    /// <summary>The gateway's interval for refusal warnings (origins, rate limits, authentication, authorizers): one per minute.</summary>
    public static readonly TimeSpan RefusalInterval = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    /// <summary>When the next line may be logged, as a <see cref="TimeProvider.GetTimestamp"/>: elapsed time, so a step of the wall clock changes nothing.</summary>
    private long? _next;
    private long _suppressed;

    /// <summary>True when this occurrence is to be logged; <paramref name="suppressed"/> counts those skipped since the last one logged.</summary>
    public bool TryEnter(out long suppressed)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (now < _next)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _next = now + (long)(interval.TotalSeconds * time.TimestampFrequency);
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
