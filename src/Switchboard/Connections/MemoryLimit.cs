namespace Switchboard.Connections;

/// <summary>
/// The memory the GC may use, and whether it is nearly used up. A .NET process that cannot get more heap fails
/// (<see cref="OutOfMemoryException"/> on whichever thread allocates next, or a fatal GC error) instead of refusing one
/// more connection, so the gateway refuses new handshakes first.
/// </summary>
internal sealed class MemoryLimit(TimeProvider time)
{
    /// <summary>
    /// The share of <see cref="AvailableBytes"/>, in percent, from which the heap counts as nearly used up: the rest is
    /// room for what a collection needs beyond the live objects (fragmentation, committed but free space: a process
    /// measured under a 64 MB limit failed with 60 MB allocated and 65 MB committed) and for allocations in flight; at
    /// 80 % a flood under a 64 MB limit still ended in an OutOfMemoryException once in several runs on a loaded machine.
    /// </summary>
    public const int HighWaterPercent = 75;

    /// <summary>How long one look at the heap is used for.</summary>
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often, at most, a heap at its high-water mark is collected in full before connections are refused.</summary>
    private static readonly TimeSpan CollectInterval = TimeSpan.FromSeconds(5);

    private readonly long _highWaterBytes = AvailableBytes / 100 * HighWaterPercent;
    private long _checkedAt = long.MinValue;
    private long _collectedAt = long.MinValue;
    private long _inUseBytes;

    /// <summary>
    /// The memory the GC may use, in bytes: <c>DOTNET_GCHeapHardLimit</c> (or <c>GCHeapHardLimitPercent</c>) when set,
    /// else the GC's share of a container's memory limit, else the machine's memory.
    /// </summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Bytes from which <see cref="IsHigh"/> is true: <see cref="HighWaterPercent"/> of <see cref="AvailableBytes"/>.</summary>
    public long HighWaterBytes => _highWaterBytes;

    /// <summary>
    /// True while the heap holds at least <see cref="HighWaterBytes"/> (<see cref="GC.GetTotalMemory(bool)"/>: what is
    /// allocated now, garbage not yet collected included; GCMemoryInfo's memory load is the machine's, not the heap's,
    /// even under a heap limit). Looked up at most once per <see cref="RecheckInterval"/>.
    /// </summary>
    /// <remarks>
    /// At the mark the heap is collected in full (at most once per <see cref="CollectInterval"/>) and measured again:
    /// what clients that left held is garbage in the oldest generation, which the GC may not collect for a long time
    /// on its own, and it should not keep new clients out. The pause is paid only while memory is nearly used up.
    /// </remarks>
    public bool IsHigh
    {
        get
        {
            var now = time.GetTimestamp();
            var checkedAt = Volatile.Read(ref _checkedAt);
            if (checkedAt == long.MinValue || time.GetElapsedTime(checkedAt, now) >= RecheckInterval)
            {
                var inUse = GC.GetTotalMemory(forceFullCollection: false);
                var collectedAt = Volatile.Read(ref _collectedAt);
                if (inUse >= _highWaterBytes
                    && (collectedAt == long.MinValue || time.GetElapsedTime(collectedAt, now) >= CollectInterval)
                    && Interlocked.CompareExchange(ref _collectedAt, now, collectedAt) == collectedAt)
                {
                    // An induced collection is the point here: see the remarks.
                    GC.Collect();
                    inUse = GC.GetTotalMemory(forceFullCollection: false);
                }

                Volatile.Write(ref _inUseBytes, inUse);
                Volatile.Write(ref _checkedAt, now);
            }

            return Volatile.Read(ref _inUseBytes) >= _highWaterBytes;
        }
    }

    /// <summary>The heap's size as <see cref="IsHigh"/> last saw it, in bytes.</summary>
    public long InUseBytes => Volatile.Read(ref _inUseBytes);
}
