using Switchboard.Protocol;
using System.Text;
using System.Text.Unicode;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// A message on its way to one or many clients. Immutable and shareable: a broadcast hands the same
/// instance to every recipient's queue, and the frame is encoded once for all of them (server frames are
/// unmasked, so the bytes are the same for every recipient).
/// </summary>
public sealed class OutboundMessage
{
    private byte[]? _frame;
    // Outbound queues that hold this message now (see TryEnterQueue).
    private int _queues;

    private OutboundMessage(ReadOnlyMemory<byte> payload, WebSocketOpcode opcode)
    {
        Payload = payload;
        Opcode = opcode;
    }

    /// <summary>The bytes to send.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>True for a text frame (valid UTF-8, what API Gateway's PostToConnection delivers); false for a binary frame.</summary>
    public bool IsText => Opcode == WebSocketOpcode.Text;

    internal WebSocketOpcode Opcode { get; }

    internal bool IsData => Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary;

    /// <summary>The whole frame, encoded on first use and shared by every recipient.</summary>
    internal byte[] Frame => _frame ??= WebSocketFrameEncoder.Encode(Opcode, Payload.Span);

    /// <summary>
    /// Counts one more queue holding this message against <paramref name="budget"/>: the frame and payload when it is
    /// the first (they stay in memory while any queue holds them), a queue entry always. False, nothing counted, when
    /// the budget has no room.
    /// </summary>
    /// <remarks>
    /// The bytes are counted exactly while <c>_queues</c> is above zero: the first queue counts them before it raises
    /// the count from zero (a compare-and-swap, retried if another queue got there first or the last one just left),
    /// and the last queue to leave releases them.
    /// </remarks>
    internal bool TryEnterQueue(OutboundBudget budget)
    {
        while (true)
        {
            var queues = Volatile.Read(ref _queues);
            var bytes = queues == 0 ? OwnBytes + OutboundBudget.EntryBytes : OutboundBudget.EntryBytes;
            if (!budget.TryReserve(bytes))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _queues, queues + 1, queues) == queues)
            {
                return true;
            }

            budget.Release(bytes);
        }
    }

    /// <summary>Releases what <see cref="TryEnterQueue"/> counted, once the queue's writer has handed the message to the transport.</summary>
    internal void LeaveQueue(OutboundBudget budget) =>
        budget.Release(Interlocked.Decrement(ref _queues) == 0 ? OwnBytes + OutboundBudget.EntryBytes : OutboundBudget.EntryBytes);

    // What this message keeps in memory while queued.
    private long OwnBytes => (long)Frame.Length + Payload.Length + OutboundBudget.MessageBytes;

    /// <summary>A message from raw bytes: a text frame when they are valid UTF-8, a binary frame otherwise, so nothing is lost.</summary>
    public static OutboundMessage FromBytes(ReadOnlyMemory<byte> payload) =>
        new(payload, Utf8.IsValid(payload.Span) ? WebSocketOpcode.Text : WebSocketOpcode.Binary);

    /// <summary>A text message.</summary>
    public static OutboundMessage FromText(string text) => new(Encoding.UTF8.GetBytes(text), WebSocketOpcode.Text);

    internal static OutboundMessage Close(int code, string reason) =>
        new(ReadOnlyMemory<byte>.Empty, WebSocketOpcode.Close) { _frame = WebSocketFrameEncoder.EncodeClose(code, reason) };

    internal static OutboundMessage Control(WebSocketOpcode opcode, ReadOnlyMemory<byte> payload) => new(payload, opcode);
}
