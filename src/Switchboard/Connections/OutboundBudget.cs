using Switchboard.Configuration;

namespace Switchboard.Connections;

/// <summary>
/// The bytes all outbound queues of the node may hold together (<see cref="LimitsOptions.MaxQueuedBytesPerNode"/>):
/// each connection's own bounds keep one slow client small, this keeps many of them from adding up past the heap.
/// </summary>
/// <remarks>
/// What is counted is what the queues keep alive: a message's frame and payload once while any queue holds it (a
/// broadcast shares one instance among all its recipients, see <see cref="OutboundMessage.TryEnterQueue"/>), plus
/// <see cref="EntryBytes"/> for each queue entry. A message is counted from when it is queued until its writer has
/// handed it to the transport. Thread-safe; one instance per node.
/// </remarks>
internal sealed class OutboundBudget
{
    /// <summary>What a queue entry costs besides the message: the stack node (object header and two references).</summary>
    public const int EntryBytes = 32;

    /// <summary>What a message costs besides its frame and payload: the message object and the frame's array header.</summary>
    public const int MessageBytes = 96;

    /// <summary>The share of the GC's available memory that the derived budget takes.</summary>
    private const int AvailableMemoryDivisor = 4;

    private long _queuedBytes;

    public OutboundBudget(long maxBytes) => MaxBytes = maxBytes;

    /// <summary>The bound, in bytes.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes counted now.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>The bound for <paramref name="limits"/> when the GC may use <paramref name="availableMemoryBytes"/>.</summary>
    public static long BytesFor(LimitsOptions limits, long availableMemoryBytes) =>
        limits.MaxQueuedBytesPerNode > 0 ? limits.MaxQueuedBytesPerNode : availableMemoryBytes / AvailableMemoryDivisor;

    /// <summary>Counts <paramref name="bytes"/>; false (nothing counted) when they would go beyond the bound.</summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes) <= MaxBytes)
        {
            return true;
        }

        Interlocked.Add(ref _queuedBytes, -bytes);
        return false;
    }

    /// <summary>Releases what <see cref="TryReserve"/> counted.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _queuedBytes, -bytes);
}
