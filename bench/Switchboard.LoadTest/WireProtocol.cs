using System.Text;

namespace Switchboard.LoadTest;

/// <summary>How the load clients talk to a server on top of WebSocket frames.</summary>
internal enum WireProtocol
{
    /// <summary>API Gateway style JSON messages routed by "action" (Switchboard, the raw Kestrel peer).</summary>
    Actions,

    /// <summary>SignalR's JSON hub protocol: records ended by 0x1E, a handshake first, pings both ways.</summary>
    SignalR,
}

/// <summary>The messages the load clients send, per protocol.</summary>
internal static class WireMessages
{
    public const byte RecordSeparator = 0x1E;

    public static byte[] SignalRHandshake { get; } = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");

    public static byte[] SignalRPing { get; } = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    public static byte[] WhoAmI(WireProtocol protocol) => protocol == WireProtocol.SignalR
        ? Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"w\",\"target\":\"WhoAmI\",\"arguments\":[]}\u001e")
        : Encoding.UTF8.GetBytes("{\"action\":\"whoami\"}");

    /// <summary>An echo request carrying <paramref name="marker"/> (ASCII, no quotes), which the reply carries back.</summary>
    public static int WriteEcho(WireProtocol protocol, Span<byte> destination, ReadOnlySpan<byte> marker)
    {
        ReadOnlySpan<byte> prefix = protocol == WireProtocol.SignalR
            ? "{\"type\":1,\"invocationId\":\"e\",\"target\":\"Echo\",\"arguments\":[\""u8
            : "{\"action\":\"echo\",\"data\":\""u8;
        ReadOnlySpan<byte> suffix = protocol == WireProtocol.SignalR ? "\"]}\u001e"u8 : "\"}"u8;
        prefix.CopyTo(destination);
        marker.CopyTo(destination[prefix.Length..]);
        suffix.CopyTo(destination[(prefix.Length + marker.Length)..]);
        return prefix.Length + marker.Length + suffix.Length;
    }

    /// <summary>The connection id in a whoami answer (<c>"connectionId":"…"</c>, or a SignalR completion's <c>"result":"…"</c>).</summary>
    public static string? TryReadId(ReadOnlySpan<byte> record)
    {
        ReadOnlySpan<byte> key = "\"connectionId\":\""u8;
        var at = record.IndexOf(key);
        if (at < 0)
        {
            key = "\"result\":\""u8;
            at = record.IndexOf(key);
        }

        if (at < 0)
        {
            return null;
        }

        var rest = record[(at + key.Length)..];
        var end = rest.IndexOf((byte)'"');
        return end <= 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }
}
