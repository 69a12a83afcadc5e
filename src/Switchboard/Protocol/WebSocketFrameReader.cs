using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;

namespace Switchboard.Protocol;

/// <summary>
/// Reads client frames from a <see cref="PipeReader"/> and enforces RFC 6455 and the gateway's limits:
/// masking, reserved bits, opcodes, control-frame rules, fragmentation order, frame and message size
/// (1009), frames per message (1009), binary frames (1003, as API Gateway), UTF-8 of text messages and close
/// reasons (1007).
/// </summary>
/// <remarks>
/// A frame is parsed only once it is wholly buffered, which the frame limit bounds. Idle connections hold
/// no buffer when the pipe was created with zero-byte reads. Not thread-safe: one reader loop per connection.
/// </remarks>
internal sealed class WebSocketFrameReader(PipeReader reader, int maxFrameBytes, int maxMessageBytes, int maxFramesPerMessage)
{
    private int _maxFrameBytes = maxFrameBytes;
    private int _maxMessageBytes = maxMessageBytes;
    private int _maxFramesPerMessage = maxFramesPerMessage;
    private byte[]? _fragments;
    private int _fragmentsLength;
    private int _fragmentCount;
    private bool _inMessage;

    /// <summary>
    /// Changes the limits (a configuration reload) from the next frame on; a message under construction is held to the
    /// new limits for the rest of it (its bytes and frames so far count).
    /// </summary>
    public void UseLimits(int maxFrameBytes, int maxMessageBytes, int maxFramesPerMessage)
    {
        _maxFrameBytes = maxFrameBytes;
        _maxMessageBytes = maxMessageBytes;
        _maxFramesPerMessage = maxFramesPerMessage;
    }

    /// <summary>Reads the next frame (or the end of the stream, or a protocol violation).</summary>
    public async ValueTask<InboundFrame> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (TryRead(result, out var frame))
            {
                return frame;
            }
        }
    }

    /// <summary>
    /// Takes the next frame from a result of the pipe's <c>ReadAsync</c> and advances the pipe past it; false when
    /// the caller must read again (more bytes are needed, or a fragment was absorbed). Lets a read loop await the pipe
    /// itself, so an idle connection waits in one state machine instead of also holding this reader's.
    /// </summary>
    public bool TryRead(in ReadResult result, out InboundFrame frame)
    {
        var buffer = result.Buffer;
        var status = TryReadFrame(ref buffer, out frame);
        if (status == ParseStatus.NeedMoreData)
        {
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                frame = new InboundFrame(InboundFrameKind.EndOfStream);
                return true;
            }

            return false;
        }

        reader.AdvanceTo(buffer.Start);
        // ParseStatus.Consumed: a fragment was absorbed into the message under construction.
        return status == ParseStatus.Frame;
    }

    private enum ParseStatus
    {
        NeedMoreData,
        Consumed,
        Frame,
    }

    /// <summary>Parses one frame from the front of <paramref name="buffer"/> and slices it off.</summary>
    private ParseStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out InboundFrame frame)
    {
        frame = default;
        if (buffer.Length < 2)
        {
            return ParseStatus.NeedMoreData;
        }

        Span<byte> header = stackalloc byte[14];
        var available = (int)Math.Min(buffer.Length, 14);
        buffer.Slice(0, available).CopyTo(header);

        var fin = (header[0] & 0x80) != 0;
        var opcode = (WebSocketOpcode)(header[0] & 0x0F);
        var masked = (header[1] & 0x80) != 0;
        long payloadLength = header[1] & 0x7F;
        var headerLength = 2;

        if ((header[0] & 0x70) != 0)
        {
            return Violation(out frame, CloseCodes.ProtocolError, "Reserved bits are set but no extension was negotiated");
        }

        if (!masked)
        {
            return Violation(out frame, CloseCodes.ProtocolError, "Client frames must be masked");
        }

        if (payloadLength == 126)
        {
            headerLength = 4;
            if (available < headerLength)
            {
                return ParseStatus.NeedMoreData;
            }

            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        }
        else if (payloadLength == 127)
        {
            headerLength = 10;
            if (available < headerLength)
            {
                return ParseStatus.NeedMoreData;
            }

            var longLength = BinaryPrimitives.ReadUInt64BigEndian(header[2..]);
            payloadLength = longLength > long.MaxValue ? long.MaxValue : (long)longLength;
        }

        var isControl = ((byte)opcode & 0x08) != 0;
        if (isControl)
        {
            if (opcode is not (WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
            {
                return Violation(out frame, CloseCodes.ProtocolError, $"Unknown opcode {(int)opcode}");
            }

            if (!fin || payloadLength > 125)
            {
                return Violation(out frame, CloseCodes.ProtocolError, "Control frames must be final and at most 125 bytes");
            }
        }
        else
        {
            switch (opcode)
            {
                case WebSocketOpcode.Binary:
                    return Violation(out frame, CloseCodes.UnsupportedData, "Binary frames are not supported");
                case WebSocketOpcode.Text when _inMessage:
                    return Violation(out frame, CloseCodes.ProtocolError, "A new message started before the previous one ended");
                case WebSocketOpcode.Continuation when !_inMessage:
                    return Violation(out frame, CloseCodes.ProtocolError, "Continuation frame without a message to continue");
                case WebSocketOpcode.Text or WebSocketOpcode.Continuation:
                    break;
                default:
                    return Violation(out frame, CloseCodes.ProtocolError, $"Unknown opcode {(int)opcode}");
            }

            if (payloadLength > _maxFrameBytes)
            {
                return Violation(out frame, CloseCodes.MessageTooBig, $"Frame exceeds {_maxFrameBytes} bytes");
            }

            if (_fragmentsLength + payloadLength > _maxMessageBytes)
            {
                return Violation(out frame, CloseCodes.MessageTooBig, $"Message exceeds {_maxMessageBytes} bytes");
            }

            // Empty continuations pass the byte limits: without a count, one message could last forever, at a
            // parse per frame. 1009 because the message is too big to process, counted in frames (RFC 6455 7.4.1).
            if ((_inMessage || !fin) && _fragmentCount >= _maxFramesPerMessage)
            {
                return Violation(out frame, CloseCodes.MessageTooBig, $"Message exceeds {_maxFramesPerMessage} frames");
            }
        }

        var maskOffset = headerLength;
        headerLength += 4;
        var frameLength = headerLength + payloadLength;
        if (buffer.Length < frameLength)
        {
            return ParseStatus.NeedMoreData;
        }

        if (available < headerLength)
        {
            buffer.Slice(0, headerLength).CopyTo(header);
        }

        var mask = BinaryPrimitives.ReadUInt32LittleEndian(header[maskOffset..]);
        var payloadSequence = buffer.Slice(headerLength, payloadLength);
        var length = (int)payloadLength;
        buffer = buffer.Slice(frameLength);

        if (isControl)
        {
            var payload = new byte[length];
            payloadSequence.CopyTo(payload);
            Unmask(payload, mask);
            return ControlFrame(opcode, payload, out frame);
        }

        if (fin && !_inMessage)
        {
            // The common case: a whole message in one frame goes straight into its own array.
            var message = new byte[length];
            payloadSequence.CopyTo(message);
            Unmask(message, mask);
            return CompleteText(message, out frame);
        }

        AppendFragment(payloadSequence, mask, length);
        _fragmentCount++;
        if (!fin)
        {
            _inMessage = true;
            return ParseStatus.Consumed;
        }

        var assembled = _fragments.AsSpan(0, _fragmentsLength).ToArray();
        ReleaseFragments();
        return CompleteText(assembled, out frame);
    }

    private void AppendFragment(ReadOnlySequence<byte> payload, uint mask, int length)
    {
        var needed = _fragmentsLength + length;
        if (_fragments is null || _fragments.Length < needed)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            if (_fragments is not null)
            {
                _fragments.AsSpan(0, _fragmentsLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_fragments);
            }

            _fragments = grown;
        }

        var target = _fragments.AsSpan(_fragmentsLength, length);
        payload.CopyTo(target);
        Unmask(target, mask);
        _fragmentsLength = needed;
    }

    private void ReleaseFragments()
    {
        if (_fragments is not null)
        {
            ArrayPool<byte>.Shared.Return(_fragments);
        }

        _fragments = null;
        _fragmentsLength = 0;
        _fragmentCount = 0;
        _inMessage = false;
    }

    private static ParseStatus CompleteText(byte[] message, out InboundFrame frame)
    {
        if (!Utf8.IsValid(message))
        {
            return Violation(out frame, CloseCodes.InvalidPayloadData, "Text message is not valid UTF-8");
        }

        frame = new InboundFrame(InboundFrameKind.Text, message);
        return ParseStatus.Frame;
    }

    private static ParseStatus ControlFrame(WebSocketOpcode opcode, byte[] payload, out InboundFrame frame)
    {
        switch (opcode)
        {
            case WebSocketOpcode.Ping:
                frame = new InboundFrame(InboundFrameKind.Ping, payload);
                return ParseStatus.Frame;
            case WebSocketOpcode.Pong:
                frame = new InboundFrame(InboundFrameKind.Pong);
                return ParseStatus.Frame;
        }

        if (payload.Length == 0)
        {
            frame = new InboundFrame(InboundFrameKind.Close, null, CloseCodes.NoStatusReceived, "");
            return ParseStatus.Frame;
        }

        if (payload.Length == 1)
        {
            return Violation(out frame, CloseCodes.ProtocolError, "Close frame with a one-byte payload");
        }

        int code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!CloseCodes.IsValidOnWire(code))
        {
            return Violation(out frame, CloseCodes.ProtocolError, $"Invalid close code {code}");
        }

        var reason = payload.AsSpan(2);
        if (!Utf8.IsValid(reason))
        {
            return Violation(out frame, CloseCodes.InvalidPayloadData, "Close reason is not valid UTF-8");
        }

        frame = new InboundFrame(InboundFrameKind.Close, null, code, Encoding.UTF8.GetString(reason));
        return ParseStatus.Frame;
    }

    private static ParseStatus Violation(out InboundFrame frame, int code, string reason)
    {
        frame = InboundFrame.Violate(code, reason);
        return ParseStatus.Frame;
    }

    /// <summary>XORs the payload with the 4-byte mask (little-endian as read), eight bytes at a time.</summary>
    internal static void Unmask(Span<byte> payload, uint mask)
    {
        var mask64 = ((ulong)mask << 32) | mask;
        var i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(payload[i..]);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[i..], chunk ^ mask64);
        }

        for (; i < payload.Length; i++)
        {
            payload[i] ^= (byte)(mask >> (8 * (i & 3)));
        }
    }
}
