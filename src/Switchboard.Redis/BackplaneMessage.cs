using System.Buffers.Binary;
using System.Text;

namespace Switchboard.Redis;

/// <summary>What travels on the backplane channels.</summary>
internal enum BackplaneMessageKind : byte
{
    /// <summary>Queue the payload to a connection; the owning node answers with a <see cref="Reply"/> carrying a <see cref="Connections.SendStatus"/>.</summary>
    Send = 1,

    /// <summary>Close a connection with 1000; answered with a <see cref="Reply"/> of 1 (closed) or 0 (not held).</summary>
    Disconnect = 2,

    /// <summary>The answer to a <see cref="Send"/> or <see cref="Disconnect"/>.</summary>
    Reply = 3,

    /// <summary>Queue the payload to every connection of the node; answered with a <see cref="Reply"/> carrying the count.</summary>
    Broadcast = 4,
}

/// <summary>
/// One backplane message, in a compact binary form: kind (1 byte), correlation id (8 bytes), then for replies a 64-bit
/// value; for Send and Disconnect the deadline (Unix ms, 8 bytes), the node to answer (length-prefixed UTF-8) and the
/// connection id (length-prefixed); for Broadcast the origin node; then the payload as is. The payload is not
/// re-encoded: the receiving node decides text or binary from the bytes exactly as the sending node did.
/// </summary>
/// <param name="Kind">What the message asks or answers.</param>
/// <param name="CorrelationId">Pairs a reply with its request; unique per sending node.</param>
/// <param name="Node">For requests, the node to answer; for a broadcast, its origin.</param>
/// <param name="ConnectionId">For Send and Disconnect: the target connection.</param>
/// <param name="Value">For a reply: the answer. For Send and Disconnect: the deadline in Unix milliseconds, after which
/// the sender has given up (answered 503), so the request must not be carried out any more.</param>
/// <param name="Payload">For Send and Broadcast: the data, a slice of the received bytes.</param>
internal readonly record struct BackplaneMessage(BackplaneMessageKind Kind, long CorrelationId, string Node, string ConnectionId, long Value, ReadOnlyMemory<byte> Payload)
{
    private const int HeaderBytes = 1 + 8;

    public static byte[] Send(long correlationId, long deadlineMs, string replyNode, string connectionId, ReadOnlySpan<byte> payload) =>
        Request(BackplaneMessageKind.Send, correlationId, deadlineMs, replyNode, connectionId, payload);

    public static byte[] Disconnect(long correlationId, long deadlineMs, string replyNode, string connectionId) =>
        Request(BackplaneMessageKind.Disconnect, correlationId, deadlineMs, replyNode, connectionId, []);

    public static byte[] Broadcast(long correlationId, string originNode, ReadOnlySpan<byte> payload) =>
        Request(BackplaneMessageKind.Broadcast, correlationId, null, originNode, null, payload);

    public static byte[] Reply(long correlationId, long value)
    {
        var bytes = new byte[HeaderBytes + 8];
        bytes[0] = (byte)BackplaneMessageKind.Reply;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), correlationId);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(HeaderBytes), value);
        return bytes;
    }

    /// <summary>Reads a message; false for anything malformed (never thrown: the channel may carry anything).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, out BackplaneMessage message)
    {
        message = default;
        var span = bytes.Span;
        if (span.Length < HeaderBytes || span[0] is < (byte)BackplaneMessageKind.Send or > (byte)BackplaneMessageKind.Broadcast)
        {
            return false;
        }

        var kind = (BackplaneMessageKind)span[0];
        var correlationId = BinaryPrimitives.ReadInt64BigEndian(span[1..]);
        var offset = HeaderBytes;
        if (kind == BackplaneMessageKind.Reply)
        {
            if (span.Length != HeaderBytes + 8)
            {
                return false;
            }

            message = new(kind, correlationId, "", "", BinaryPrimitives.ReadInt64BigEndian(span[offset..]), ReadOnlyMemory<byte>.Empty);
            return true;
        }

        long deadlineMs = 0;
        if (kind != BackplaneMessageKind.Broadcast)
        {
            if (span.Length < offset + 8)
            {
                return false;
            }

            deadlineMs = BinaryPrimitives.ReadInt64BigEndian(span[offset..]);
            offset += 8;
        }

        if (!TryReadString(span, ref offset, out var node))
        {
            return false;
        }

        var connectionId = "";
        if (kind != BackplaneMessageKind.Broadcast && !TryReadString(span, ref offset, out connectionId))
        {
            return false;
        }

        message = new(kind, correlationId, node, connectionId, deadlineMs, bytes[offset..]);
        return true;
    }

    private static byte[] Request(BackplaneMessageKind kind, long correlationId, long? deadlineMs, string node, string? connectionId, ReadOnlySpan<byte> payload)
    {
        var nodeBytes = Encoding.UTF8.GetByteCount(node);
        var idBytes = connectionId is null ? 0 : Encoding.UTF8.GetByteCount(connectionId);
        if (nodeBytes > byte.MaxValue || idBytes > byte.MaxValue)
        {
            throw new ArgumentException("Node and connection ids are at most 255 bytes long.");
        }

        var bytes = new byte[HeaderBytes + (deadlineMs is null ? 0 : 8) + 1 + nodeBytes + (connectionId is null ? 0 : 1 + idBytes) + payload.Length];
        bytes[0] = (byte)kind;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), correlationId);
        var offset = HeaderBytes;
        if (deadlineMs is { } deadline)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(offset), deadline);
            offset += 8;
        }

        bytes[offset++] = (byte)nodeBytes;
        offset += Encoding.UTF8.GetBytes(node, bytes.AsSpan(offset));
        if (connectionId is not null)
        {
            bytes[offset++] = (byte)idBytes;
            offset += Encoding.UTF8.GetBytes(connectionId, bytes.AsSpan(offset));
        }

        payload.CopyTo(bytes.AsSpan(offset));
        return bytes;
    }

    private static bool TryReadString(ReadOnlySpan<byte> span, ref int offset, out string value)
    {
        value = "";
        if (offset >= span.Length || offset + 1 + span[offset] > span.Length)
        {
            return false;
        }

        var length = span[offset];
        value = Encoding.UTF8.GetString(span.Slice(offset + 1, length));
        offset += 1 + length;
        return true;
    }
}
