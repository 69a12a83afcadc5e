using System.Diagnostics;

namespace Switchboard.LoadTest;

/// <summary>What a phase sends, and so how a delivery is counted.</summary>
internal enum PhaseKind
{
    Broadcast,
    Unicast,
    Echo,
}

/// <summary>
/// One measured phase: the deliveries it expects, their latencies, and per sequence number the latest delivery
/// (for a broadcast, the time until its last recipient had it). Messages stamped with another phase are strays.
/// </summary>
internal sealed class Phase
{
    private readonly long[] _lastBySequence;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _delivered;
    private long _lastDeliveryTicks;
    private long _expected;

    public Phase(int id, PhaseKind kind, long expected, int sequences)
    {
        Id = id;
        Kind = kind;
        _expected = expected;
        _lastBySequence = new long[Math.Max(sequences, 1)];
    }

    public int Id { get; }

    public PhaseKind Kind { get; }

    public LatencyHistogram Latency { get; } = new();

    /// <summary>While true, an echo reply makes its client send the next echo (closed loop).</summary>
    public bool EchoActive { get; set; }

    public long Delivered => Volatile.Read(ref _delivered);

    public long LastDeliveryTicks => Volatile.Read(ref _lastDeliveryTicks);

    public Task Done => _done.Task;

    public long Expected
    {
        get => Volatile.Read(ref _expected);
        set
        {
            Volatile.Write(ref _expected, value);
            if (Delivered >= value)
            {
                _done.TrySetResult();
            }
        }
    }

    /// <summary>Counts a delivery; returns true when the client should send its next echo.</summary>
    public bool Deliver(long latencyTicks, int sequence, long now)
    {
        Latency.Record(latencyTicks);
        if ((uint)sequence < (uint)_lastBySequence.Length)
        {
            LatencyHistogram.RaiseTo(ref _lastBySequence[sequence], latencyTicks);
        }

        LatencyHistogram.RaiseTo(ref _lastDeliveryTicks, now);
        if (Interlocked.Increment(ref _delivered) >= Volatile.Read(ref _expected))
        {
            _done.TrySetResult();
        }

        return Kind == PhaseKind.Echo && EchoActive;
    }

    /// <summary>Per sequence number, the latency of its last delivery (ms); sequences with no delivery are left out.</summary>
    public List<double> LastDeliveryMs()
    {
        var list = new List<double>(_lastBySequence.Length);
        foreach (var ticks in _lastBySequence)
        {
            if (ticks > 0)
            {
                list.Add(LatencyHistogram.TicksToMs(ticks));
            }
        }

        list.Sort();
        return list;
    }

    /// <summary>
    /// Waits until every expected delivery arrived, nothing arrived for <paramref name="stall"/>, or
    /// <paramref name="deadline"/> passed. Prints progress every few seconds.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan stall, TimeSpan deadline, Action<string>? progress)
    {
        var started = Stopwatch.StartNew();
        var lastCount = -1L;
        var lastChange = Stopwatch.StartNew();
        var lastReport = Stopwatch.StartNew();
        while (!Done.IsCompleted)
        {
            await Task.WhenAny(Done, Task.Delay(100));
            var count = Delivered;
            if (count != lastCount)
            {
                lastCount = count;
                lastChange.Restart();
            }

            if (lastChange.Elapsed > stall || started.Elapsed > deadline)
            {
                return false;
            }

            if (progress is not null && lastReport.Elapsed > TimeSpan.FromSeconds(3))
            {
                lastReport.Restart();
                progress($"{count:N0}/{Expected:N0} delivered");
            }
        }

        return true;
    }
}
