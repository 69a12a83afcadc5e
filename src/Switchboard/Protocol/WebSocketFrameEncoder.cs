using System.Buffers.Binary;

namespace Switchboard.Protocol;

/// <summary>Encodes server-to-client frames: final, unmasked (RFC 6455 section 5.1), so one encoding serves every recipient.</summary>
internal static class WebSocketFrameEncoder
{
    public const int MaxHeaderLength = 10;

    public static int HeaderLength(int payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes the header of a final frame; returns the bytes written.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, int payloadLength)
    {
        destination[0] = (byte)(0x80 | (byte)opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>A whole frame in one array.</summary>
    public static byte[] Encode(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength(payload.Length) + payload.Length];
        var headerLength = WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(headerLength));
        return frame;
    }

    /// <summary>A close frame; code 1005 means "no status" and is sent as an empty payload.</summary>
    public static byte[] EncodeClose(int code, string reason)
    {
        if (code == CloseCodes.NoStatusReceived || !CloseCodes.IsValidOnWire(code))
        {
            return Encode(WebSocketOpcode.Close, []);
        }

        // Control frames carry at most 125 payload bytes: 2 for the code, 123 for the reason.
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        var reasonLength = System.Text.Encoding.UTF8.GetBytes(Truncate(reason, 123), payload[2..]);
        return Encode(WebSocketOpcode.Close, payload[..(2 + reasonLength)]);
    }

    private static string Truncate(string reason, int maxBytes)
    {
        while (System.Text.Encoding.UTF8.GetByteCount(reason) > maxBytes)
        {
            reason = reason[..^1];
        }

        return reason;
    }
}
