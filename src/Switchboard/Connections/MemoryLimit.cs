namespace Switchboard.Connections;

/// <summary>
/// The memory the GC may use, and whether it is nearly used up. A .NET process that cannot get more heap aborts
/// (OutOfMemoryException on some thread, or the GC's fatal error) instead of refusing one more connection, so the
/// gateway refuses new handshakes first.
/// </summary>
internal sealed class MemoryLimit(TimeProvider time)
{
    /// <summary>How long one look at the GC's figures is used for: they change only at a collection.</summary>
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(100);

    private long _checkedAt = long.MinValue;
    private bool _isHigh;
    private long _loadBytes;
    private long _thresholdBytes;

    /// <summary>
    /// The memory the GC may use, in bytes: <c>DOTNET_GCHeapHardLimit</c> (or <c>GCHeapHardLimitPercent</c>) when set,
    /// else a container's memory limit, else the machine's memory.
    /// </summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// True while the memory load the GC found at its last collection is at or above its high-memory threshold (90 %
    /// of <see cref="AvailableBytes"/> by default, <c>DOTNET_GCHighMemPercent</c>): the heap is close to its limit. Looked
    /// up at most once per <see cref="RecheckInterval"/>.
    /// </summary>
    public bool IsHigh
    {
        get
        {
            var now = time.GetTimestamp();
            var checkedAt = Volatile.Read(ref _checkedAt);
            if (checkedAt == long.MinValue || time.GetElapsedTime(checkedAt, now) >= RecheckInterval)
            {
                var info = GC.GetGCMemoryInfo();
                Volatile.Write(ref _loadBytes, info.MemoryLoadBytes);
                Volatile.Write(ref _thresholdBytes, info.HighMemoryLoadThresholdBytes);
                Volatile.Write(ref _isHigh, info.MemoryLoadBytes >= info.HighMemoryLoadThresholdBytes);
                Volatile.Write(ref _checkedAt, now);
            }

            return Volatile.Read(ref _isHigh);
        }
    }

    /// <summary>The memory load at the GC's last collection, as <see cref="IsHigh"/> last saw it, in bytes.</summary>
    public long LoadBytes => Volatile.Read(ref _loadBytes);

    /// <summary>The GC's high-memory threshold, as <see cref="IsHigh"/> last saw it, in bytes.</summary>
    public long ThresholdBytes => Volatile.Read(ref _thresholdBytes);
}
