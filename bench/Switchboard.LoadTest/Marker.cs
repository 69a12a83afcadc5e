using System.Buffers.Text;

namespace Switchboard.LoadTest;

/// <summary>
/// The timestamp every measured message carries: <c>T=&lt;Stopwatch ticks&gt;;P=&lt;phase&gt;;S=&lt;sequence&gt;;</c> plus
/// padding, ASCII without quotes so it survives JSON string encoding unchanged. The harness sends and receives in
/// one process, so the monotonic clock is shared.
/// </summary>
internal static class Marker
{
    public const int PayloadBytes = 100;

    /// <summary>Writes a marker padded with 'x' to <paramref name="length"/> bytes; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, long timestamp, int phase, int sequence, int length = PayloadBytes)
    {
        var used = 0;
        used += Put(destination[used..], "T="u8);
        Utf8Formatter.TryFormat(timestamp, destination[used..], out var written);
        used += written;
        used += Put(destination[used..], ";P="u8);
        Utf8Formatter.TryFormat(phase, destination[used..], out written);
        used += written;
        used += Put(destination[used..], ";S="u8);
        Utf8Formatter.TryFormat(sequence, destination[used..], out written);
        used += written;
        destination[used++] = (byte)';';
        while (used < length)
        {
            destination[used++] = (byte)'x';
        }

        return used;
    }

    public static byte[] Create(long timestamp, int phase, int sequence, int length = PayloadBytes)
    {
        var buffer = new byte[Math.Max(length, 64)];
        var used = Write(buffer, timestamp, phase, sequence, length);
        return buffer.AsSpan(0, used).ToArray();
    }

    /// <summary>Finds and parses a marker anywhere in <paramref name="message"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out long timestamp, out int phase, out int sequence)
    {
        timestamp = 0;
        phase = 0;
        sequence = 0;
        var at = message.IndexOf("T="u8);
        if (at < 0)
        {
            return false;
        }

        var rest = message[(at + 2)..];
        if (!Utf8Parser.TryParse(rest, out timestamp, out var consumed) || !rest[consumed..].StartsWith(";P="u8))
        {
            return false;
        }

        rest = rest[(consumed + 3)..];
        if (!Utf8Parser.TryParse(rest, out phase, out consumed) || !rest[consumed..].StartsWith(";S="u8))
        {
            return false;
        }

        rest = rest[(consumed + 3)..];
        return Utf8Parser.TryParse(rest, out sequence, out _);
    }

    private static int Put(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}
