using System.Diagnostics;
using System.Numerics;

namespace Switchboard.LoadTest;

/// <summary>
/// A lock-free log-linear histogram of durations in <see cref="Stopwatch"/> ticks: exact below 128 ticks, then 64
/// buckets per power of two (at most 1.6 % error). Any thread may record.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 6;
    private const int SubBuckets = 1 << SubBits;
    private const int Linear = 2 * SubBuckets;
    private readonly long[] _counts = new long[Linear + (64 - 7) * SubBuckets];
    private long _count;
    private long _max;
    private long _sum;

    public long Count => Volatile.Read(ref _count);

    public double MaxMs => TicksToMs(Volatile.Read(ref _max));

    public double MeanMs => Count == 0 ? 0 : TicksToMs(Volatile.Read(ref _sum)) / Count;

    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        Interlocked.Increment(ref _counts[Index(ticks)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, ticks);
        RaiseTo(ref _max, ticks);
    }

    /// <summary>Sets <paramref name="location"/> to <paramref name="value"/> if that is larger, atomically.</summary>
    public static void RaiseTo(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The value at <paramref name="percentile"/> (0–100), in milliseconds; 0 when empty.</summary>
    public double PercentileMs(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * total);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(TicksToMs(Middle(i)), MaxMs);
            }
        }

        return MaxMs;
    }

    public static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = msb - SubBits;
        var sub = (int)(value >> shift) & (SubBuckets - 1);
        return Linear + (msb - 7) * SubBuckets + sub;
    }

    private static long Middle(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var octave = (index - Linear) / SubBuckets;
        var sub = (index - Linear) % SubBuckets;
        var shift = octave + 7 - SubBits;
        var lower = (long)(SubBuckets + sub) << shift;
        return lower + (1L << shift) / 2;
    }
}
