using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Testing;

/// <summary>
/// A WebSocket client written against the bare TCP stream, for what <see cref="System.Net.WebSockets.ClientWebSocket"/>
/// refuses to do or hides: unmasked frames, reserved bits, invalid UTF-8, raw control frames, duplicate handshake
/// headers, and seeing the server's pings. Every wait is bounded so a broken feature fails instead of hanging.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawWebSocketClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The status of the handshake response (101 when the upgrade succeeded).</summary>
    public int HandshakeStatusCode { get; private set; }

    /// <summary>The handshake response headers (names lower-cased; repeated headers joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> HandshakeHeaders { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// Opens a TCP connection to <paramref name="webSocketUri"/> and sends an RFC 6455 upgrade request with
    /// <paramref name="extraHeaders"/> (each pair one header line, so a name may repeat). Does not throw when the
    /// server refuses the upgrade: see <see cref="HandshakeStatusCode"/>.
    /// </summary>
    /// <param name="webSocketUri">Where to connect.</param>
    /// <param name="extraHeaders">Header lines added to the handshake.</param>
    /// <param name="timeout">Bounds the connect and the handshake.</param>
    /// <param name="receiveBufferBytes">The socket's receive buffer, set before connecting; small for a client that never reads.</param>
    public static async Task<RawWebSocketClient> ConnectAsync(
        Uri webSocketUri,
        IEnumerable<KeyValuePair<string, string>>? extraHeaders = null,
        TimeSpan? timeout = null,
        int? receiveBufferBytes = null)
    {
        var client = await OpenAsync(webSocketUri, timeout, receiveBufferBytes);
        await client.SendRawAsync(HandshakeRequest(webSocketUri, extraHeaders));
        await client.ReadResponseHeadAsync(timeout);
        return client;
    }

    /// <summary>Opens a TCP connection to <paramref name="webSocketUri"/>'s host and port and sends nothing.</summary>
    public static async Task<RawWebSocketClient> OpenAsync(Uri webSocketUri, TimeSpan? timeout = null, int? receiveBufferBytes = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferBytes is { } size)
        {
            tcp.ReceiveBufferSize = size;
        }

        await tcp.ConnectAsync(webSocketUri.Host, webSocketUri.Port, cancellation.Token);
        return new RawWebSocketClient(tcp);
    }

    /// <summary>
    /// The bytes of an RFC 6455 upgrade request for <paramref name="webSocketUri"/> with a fresh key, followed by
    /// <paramref name="extraHeaders"/> (each pair one header line).
    /// </summary>
    public static byte[] HandshakeRequest(Uri webSocketUri, IEnumerable<KeyValuePair<string, string>>? extraHeaders = null)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var headers = extraHeaders?.ToList() ?? [];
        // A Host among the extra headers replaces the URI's (a client choosing its Host, as an attacker would).
        var host = headers.Where(header => header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).Select(header => header.Value).FirstOrDefault() ?? webSocketUri.Authority;
        var request = new StringBuilder()
            .Append($"GET {webSocketUri.PathAndQuery} HTTP/1.1\r\n")
            .Append($"Host: {host}\r\n")
            .Append("Connection: Upgrade\r\n")
            .Append("Upgrade: websocket\r\n")
            .Append("Sec-WebSocket-Version: 13\r\n")
            .Append($"Sec-WebSocket-Key: {key}\r\n");
        foreach (var (name, value) in headers.Where(header => !header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            request.Append($"{name}: {value}\r\n");
        }

        return Encoding.ASCII.GetBytes(request.Append("\r\n").ToString());
    }

    /// <summary>Writes <paramref name="bytes"/> to the TCP stream as one write.</summary>
    /// <param name="bytes">What to write.</param>
    /// <param name="timeout">Bounds the write; one cut short leaves part of a frame on the wire.</param>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        await _stream.WriteAsync(bytes, cancellation.Token);
    }

    /// <summary>Sends one frame. Client frames are masked unless <paramref name="masked"/> is false (a protocol violation).</summary>
    /// <param name="opcode">The opcode (see the constants).</param>
    /// <param name="payload">The unmasked payload.</param>
    /// <param name="fin">The FIN bit.</param>
    /// <param name="masked">Whether to mask the payload, as RFC 6455 requires of clients.</param>
    /// <param name="reservedBits">RSV1..RSV3 as the value of bits 0x70 of the first byte.</param>
    public Task SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true, int reservedBits = 0) =>
        SendRawAsync(EncodeFrame(opcode, payload.Span, fin, masked, reservedBits));

    /// <summary>The bytes of one client frame, as <see cref="SendFrameAsync"/> sends it.</summary>
    public static byte[] EncodeFrame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true, int reservedBits = 0)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? 0x80 : 0) | (reservedBits & 0x70) | (opcode & 0x0F));
        var length = 2;
        if (payload.Length <= 125)
        {
            header[1] = (byte)payload.Length;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)payload.Length);
            length = 4;
        }
        else
        {
            header[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)payload.Length);
            length = 10;
        }

        var body = payload.ToArray();
        if (masked)
        {
            header[1] |= 0x80;
            var mask = RandomNumberGenerator.GetBytes(4);
            mask.CopyTo(header, length);
            length += 4;
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= mask[i & 3];
            }
        }

        var frame = new byte[length + body.Length];
        header.AsSpan(0, length).CopyTo(frame);
        body.CopyTo(frame, length);
        return frame;
    }

    public Task SendTextAsync(string text) => SendFrameAsync(Text, Encoding.UTF8.GetBytes(text));

    /// <summary>The bytes of one text message split into masked frames of at most <paramref name="fragmentBytes"/> payload bytes each.</summary>
    public static byte[] EncodeFragmented(string text, int fragmentBytes)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frames = new List<byte>();
        for (var offset = 0; offset < payload.Length; offset += fragmentBytes)
        {
            var length = Math.Min(fragmentBytes, payload.Length - offset);
            frames.AddRange(EncodeFrame(offset == 0 ? Text : Continuation, payload.AsSpan(offset, length), fin: offset + length == payload.Length));
        }

        return [.. frames];
    }

    /// <summary>Sends a close frame; a null <paramref name="code"/> sends one with no payload (no status).</summary>
    public Task SendCloseAsync(int? code, string reason = "")
    {
        if (code is null)
        {
            return SendFrameAsync(Close, ReadOnlyMemory<byte>.Empty);
        }

        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
        reasonBytes.CopyTo(payload, 2);
        return SendFrameAsync(Close, payload);
    }

    /// <summary>Receives the next frame as sent (no reassembly); throws on timeout or when the server ends the TCP stream.</summary>
    public async Task<RawFrame> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        var header = await ReadExactAsync(2, cancellation.Token)
            ?? throw new EndOfStreamException("The server ended the TCP stream before sending a frame.");
        var fin = (header[0] & 0x80) != 0;
        var opcode = header[0] & 0x0F;
        var masked = (header[1] & 0x80) != 0;
        long length = header[1] & 0x7F;
        if (length == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactAsync(2, cancellation.Token) ?? throw new EndOfStreamException());
        }
        else if (length == 127)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactAsync(8, cancellation.Token) ?? throw new EndOfStreamException());
        }

        var mask = masked ? await ReadExactAsync(4, cancellation.Token) ?? throw new EndOfStreamException() : null;
        var payload = await ReadExactAsync((int)length, cancellation.Token) ?? throw new EndOfStreamException();
        if (mask is not null)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= mask[i & 3];
            }
        }

        return new RawFrame(fin, opcode, masked, payload);
    }

    /// <summary>Reads frames until the server's close frame, skipping others; returns it.</summary>
    public async Task<RawFrame> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var frame = await ReceiveFrameAsync(timeout);
            if (frame.Opcode == Close)
            {
                return frame;
            }
        }
    }

    /// <summary>Completes when the server has ended the TCP stream, discarding whatever it still sends; throws on timeout.</summary>
    public async Task WaitForEndOfStreamAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        _start = _end = 0;
        var scratch = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(scratch, cancellation.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset ends the stream too.
        }
    }

    /// <summary>
    /// Reads one HTTP response head (not its body) into <see cref="HandshakeStatusCode"/> and
    /// <see cref="HandshakeHeaders"/>, and returns the status; throws on timeout or when the server ends the TCP stream first.
    /// </summary>
    public async Task<int> ReadResponseHeadAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        var cancellationToken = cancellation.Token;
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var text = Encoding.ASCII.GetString(_buffer, _start, end);
                _start += end + 4;
                var lines = text.Split("\r\n");
                HandshakeStatusCode = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':');
                    var name = line[..colon].Trim().ToLowerInvariant();
                    var value = line[(colon + 1)..].Trim();
                    headers[name] = headers.TryGetValue(name, out var previous) ? previous + ", " + value : value;
                }

                HandshakeHeaders = headers;
                return HandshakeStatusCode;
            }

            if (!await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("The server ended the TCP stream during the handshake.");
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; null when the stream ends first.</summary>
    private async Task<byte[]?> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }

        var result = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return result;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        }
        catch (IOException)
        {
            return false;
        }

        _end += read;
        return read > 0;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One frame as the server sent it.</summary>
public sealed record RawFrame(bool Fin, int Opcode, bool Masked, byte[] Payload)
{
    /// <summary>The close code of a close frame; null when it carries no status.</summary>
    public int? CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>The close reason of a close frame.</summary>
    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";
}
