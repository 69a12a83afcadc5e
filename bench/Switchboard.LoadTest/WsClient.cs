using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadTest;

/// <summary>
/// A minimal client side of RFC 6455 over a <see cref="Socket"/> bound to a chosen loopback source address, which
/// <c>ClientWebSocket</c> cannot do and which costs the load generator far less: one receive buffer, no per-message
/// allocation on the receive path, masked frames built into a reused buffer. Handles what the servers send: text
/// and binary frames (fragmented too), ping (answered), pong, close.
/// </summary>
internal sealed class WsClient
{
    private const int IpProtocolIp = 0;
    private const int IpBindAddressNoPort = 24;
    private static readonly byte[] EmptyPong = MaskedFrame(0xA, []);
    private static readonly byte[] NormalClose = MaskedFrame(0x8, [0x03, 0xE8]);

    private readonly Socket _socket;

    /// <summary>The TLS layer over <see cref="_socket"/> with <c>--tls</c>; null for plain ws.</summary>
    private readonly SslStream? _tls;

    /// <summary>One write at a time on <see cref="_tls"/> (an SslStream refuses overlapping writes; a socket does not care).</summary>
    private readonly SemaphoreSlim? _tlsWrite;
    private readonly Fleet? _fleet;
    private readonly uint _mask;
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private byte[]? _fragments;
    private int _fragmentsLength;
    private byte[]? _sendBuffer;
    private int _closed;
    private int _closeSent;

    private WsClient(Socket socket, SslStream? tls, Fleet? fleet, int index)
    {
        _socket = socket;
        _tls = tls;
        _tlsWrite = tls is null ? null : new SemaphoreSlim(1, 1);
        _fleet = fleet;
        Index = index;
        _mask = (uint)Random.Shared.Next() | 1u;
    }

    public int Index { get; }

    /// <summary>The server's id for this connection, once a whoami was answered.</summary>
    public string? Id { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The status code of the server's close frame, once one arrived (1005 when it carried none); null before.</summary>
    public int? ServerCloseCode { get; private set; }

    /// <summary>
    /// Connects from <paramref name="source"/> (port chosen at connect time, so every source address has its own
    /// ephemeral port range), upgrades, and for SignalR completes the hub handshake.
    /// </summary>
    public static async Task<WsClient> ConnectAsync(
        Fleet? fleet, int index, IPAddress source, IPEndPoint server, byte[] upgradeRequest, WireProtocol protocol,
        int receiveBufferBytes, HarnessTls? tls, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? ssl = null;
        try
        {
            if (receiveBufferBytes > 0)
            {
                socket.ReceiveBufferSize = receiveBufferBytes;
            }

            socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(server, cancellationToken);
            if (tls is not null)
            {
                ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await ssl.AuthenticateAsClientAsync(tls.ClientOptions(), cancellationToken);
            }

            var client = new WsClient(socket, ssl, fleet, index);
            await client.SendAsync(upgradeRequest, cancellationToken);
            await client.ReadHandshakeResponseAsync(cancellationToken);
            if (protocol == WireProtocol.SignalR)
            {
                await client.SendTextAsync(WireMessages.SignalRHandshake, cancellationToken);
                await client.ReadSignalRHandshakeAsync(cancellationToken);
            }

            return client;
        }
        catch
        {
            ssl?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    public static byte[] UpgradeRequest(IPEndPoint server, string path) => Encoding.ASCII.GetBytes(
        $"GET {path} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUser-Agent: switchboard-loadtest\r\n\r\n");

    /// <summary>Reads and dispatches frames until the connection ends. Never throws.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (true)
            {
                var (echo, pong, close) = ProcessBuffered();
                if (close)
                {
                    // The server began the closing handshake: answer with its code, as a browser does, so the
                    // server need not wait its close timeout for the reply.
                    if (Interlocked.Exchange(ref _closeSent, 1) == 0)
                    {
                        await SendCloseFrameAsync((ushort)ServerCloseCode!.Value);
                    }

                    break;
                }

                if (pong)
                {
                    await SendAsync(EmptyPong);
                }

                if (echo >= 0)
                {
                    await SendEchoAsync(echo);
                }

                MakeRoom(1024);
                var read = await ReceiveAsync(_buffer.AsMemory(_end));
                if (read == 0)
                {
                    break;
                }

                _end += read;
            }
        }
        catch (SocketException)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            MarkClosed();
        }
    }

    public ValueTask<int> SendTextAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var frame = MaskedFrame(0x1, payload.Span, _mask);
        return SendAsync(frame, cancellationToken);
    }

    /// <summary>Sends a frame that is already masked (shared by every client, e.g. the SignalR ping).</summary>
    public ValueTask<int> SendRawAsync(ReadOnlyMemory<byte> frame) => SendAsync(frame);

    /// <summary>Sends one echo request stamped now, into this client's reused send buffer (one echo in flight per client).</summary>
    public ValueTask<int> SendEchoAsync(int phase)
    {
        var fleet = _fleet!;
        Span<byte> marker = stackalloc byte[Marker.PayloadBytes];
        Marker.Write(marker, System.Diagnostics.Stopwatch.GetTimestamp(), phase, Index);
        Span<byte> payload = stackalloc byte[Marker.PayloadBytes + 96];
        var length = WireMessages.WriteEcho(fleet.Protocol, payload, marker);
        _sendBuffer ??= new byte[length + 14];
        var frameLength = WriteMaskedFrame(_sendBuffer, 0x1, payload[..length], _mask);
        return SendAsync(_sendBuffer.AsMemory(0, frameLength));
    }

    /// <summary>
    /// For a client without a receive loop (the slow client): reads frames until the whoami answer arrives and returns
    /// the id. Whatever else arrived is dropped.
    /// </summary>
    public async Task<string> ReadIdAsync(WireProtocol protocol, CancellationToken cancellationToken)
    {
        while (true)
        {
            while (TryReadFrame(out var opcode, out _, out var payloadOffset, out var payloadLength, out var frameLength))
            {
                var payload = _buffer.AsSpan(payloadOffset, payloadLength);
                _start += frameLength;
                if (opcode != 0x1)
                {
                    continue;
                }

                foreach (var range in payload.Split(WireMessages.RecordSeparator))
                {
                    if (WireMessages.TryReadId(payload[range]) is { } id)
                    {
                        return id;
                    }
                }
            }

            MakeRoom(1024);
            var read = await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("Connection closed before the whoami answer");
            }

            _end += read;
        }
    }

    /// <summary>Starts the closing handshake: sends a close frame with <paramref name="code"/>; the receive loop ends at the server's.</summary>
    public ValueTask<int> SendCloseAsync(ushort code)
    {
        Volatile.Write(ref _closeSent, 1);
        return SendCloseFrameAsync(code);
    }

    /// <summary>
    /// For a client without a receive loop (the churn scenario): reads frames until a text or binary message arrives
    /// and returns its length; answers pings. Throws <see cref="IOException"/> when the server closes first.
    /// </summary>
    public async Task<int> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (TryReadFrame(out var opcode, out _, out _, out var payloadLength, out var frameLength))
            {
                _start += frameLength;
                switch (opcode)
                {
                    case 0x1 or 0x2:
                        return payloadLength;
                    case 0x8:
                        throw new IOException("The server closed the connection before answering");
                    case 0x9:
                        await SendAsync(EmptyPong, cancellationToken);
                        break;
                }
            }

            MakeRoom(1024);
            var read = await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("The server ended the connection before answering");
            }

            _end += read;
        }
    }

    /// <summary>Closes as a well-behaved client does: a close frame (1000), then waits for the server's close frame or end of stream.</summary>
    public async Task CloseHandshakeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(NormalClose, cancellationToken);
            await DrainUntilClosedAsync(cancellationToken);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Ends the TCP stream without a close frame (FIN, as a client whose process exits), then waits for the server to end its side.</summary>
    public async Task ShutdownWithoutCloseFrameAsync(CancellationToken cancellationToken)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            await DrainUntilClosedAsync(cancellationToken);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Drops the connection abruptly: a TCP reset (SO_LINGER 0), no close frame, nothing waited for.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (ObjectDisposedException)
        {
        }

        Close();
    }

    private async Task DrainUntilClosedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (TryReadFrame(out var opcode, out _, out _, out _, out var frameLength))
            {
                _start += frameLength;
                if (opcode == 0x8)
                {
                    return;
                }
            }

            MakeRoom(1024);
            if (await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken) is var read and > 0)
            {
                _end += read;
            }
            else
            {
                return;
            }
        }
    }

    public void Close()
    {
        MarkClosed();
        _tls?.Dispose();
        _socket.Dispose();
    }

    private ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);

    private ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _tls is null ? _socket.SendAsync(data, SocketFlags.None, cancellationToken) : WriteTlsAsync(data, cancellationToken);

    private async ValueTask<int> WriteTlsAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _tlsWrite!.WaitAsync(cancellationToken);
        try
        {
            await _tls!.WriteAsync(data, cancellationToken);
            return data.Length;
        }
        finally
        {
            _tlsWrite.Release();
        }
    }

    public static byte[] MaskedFrame(byte opcode, ReadOnlySpan<byte> payload, uint mask = 0x5A3C9E17)
    {
        var frame = new byte[payload.Length + 14];
        var length = WriteMaskedFrame(frame, opcode, payload, mask);
        return frame.AsSpan(0, length).ToArray();
    }

    private static int WriteMaskedFrame(Span<byte> destination, byte opcode, ReadOnlySpan<byte> payload, uint mask)
    {
        destination[0] = (byte)(0x80 | opcode);
        int header;
        if (payload.Length <= 125)
        {
            destination[1] = (byte)(0x80 | payload.Length);
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[header..], mask);
        header += 4;
        for (var i = 0; i < payload.Length; i++)
        {
            destination[header + i] = (byte)(payload[i] ^ (byte)(mask >> (8 * (i & 3))));
        }

        return header + payload.Length;
    }

    private ValueTask<int> SendCloseFrameAsync(ushort code)
    {
        Span<byte> payload = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code == 1005 ? (ushort)1000 : code);
        return SendAsync(MaskedFrame(0x8, payload, _mask));
    }

    private void MarkClosed()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _fleet?.OnClosed(this);
        }
    }

    private async Task ReadHandshakeResponseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                if (!_buffer.AsSpan(0, _end).StartsWith("HTTP/1.1 101"u8))
                {
                    var line = Encoding.ASCII.GetString(_buffer, 0, Math.Max(0, _buffer.AsSpan(0, _end).IndexOf("\r\n"u8)));
                    throw new IOException($"Upgrade refused: {line}");
                }

                _start = end + 4;
                return;
            }

            MakeRoom(512);
            var read = await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("Connection closed during the upgrade");
            }

            _end += read;
        }
    }

    private async Task ReadSignalRHandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryReadFrame(out var opcode, out var fin, out var payloadOffset, out var payloadLength, out var frameLength))
            {
                var payload = _buffer.AsSpan(payloadOffset, payloadLength);
                _start += frameLength;
                if (opcode == 0x1 && fin)
                {
                    var record = payload[..Math.Max(0, payload.IndexOf(WireMessages.RecordSeparator))];
                    if (!record.SequenceEqual("{}"u8))
                    {
                        throw new IOException($"SignalR handshake refused: {Encoding.UTF8.GetString(payload)}");
                    }

                    return;
                }

                continue;
            }

            MakeRoom(1024);
            var read = await ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("Connection closed during the SignalR handshake");
            }

            _end += read;
        }
    }

    /// <summary>Dispatches every whole frame in the buffer. Returns the echo phase to answer (-1: none), and what else to do.</summary>
    private (int Echo, bool Pong, bool Close) ProcessBuffered()
    {
        var echo = -1;
        var pong = false;
        while (TryReadFrame(out var opcode, out var fin, out var payloadOffset, out var payloadLength, out var frameLength))
        {
            var payload = _buffer.AsSpan(payloadOffset, payloadLength);
            switch (opcode)
            {
                case 0x1 or 0x2 when fin && _fragmentsLength == 0:
                    echo = Math.Max(echo, Dispatch(payload));
                    break;
                case 0x0 or 0x1 or 0x2:
                    AppendFragment(payload);
                    if (fin)
                    {
                        echo = Math.Max(echo, Dispatch(_fragments.AsSpan(0, _fragmentsLength)));
                        _fragmentsLength = 0;
                    }

                    break;
                case 0x8:
                    ServerCloseCode = payloadLength >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 1005;
                    return (-1, false, true);
                case 0x9:
                    pong = true;
                    break;
            }

            _start += frameLength;
        }

        return (echo, pong, false);
    }

    private int Dispatch(ReadOnlySpan<byte> message)
    {
        var fleet = _fleet!;
        if (fleet.Protocol != WireProtocol.SignalR)
        {
            return fleet.OnRecord(this, message);
        }

        var echo = -1;
        while (message.Length > 0)
        {
            var end = message.IndexOf(WireMessages.RecordSeparator);
            var record = end < 0 ? message : message[..end];
            echo = Math.Max(echo, fleet.OnRecord(this, record));
            message = end < 0 ? [] : message[(end + 1)..];
        }

        return echo;
    }

    private void AppendFragment(ReadOnlySpan<byte> payload)
    {
        if (_fragments is null || _fragments.Length < _fragmentsLength + payload.Length)
        {
            Array.Resize(ref _fragments, Math.Max(4096, (_fragmentsLength + payload.Length) * 2));
        }

        payload.CopyTo(_fragments.AsSpan(_fragmentsLength));
        _fragmentsLength += payload.Length;
    }

    private bool TryReadFrame(out byte opcode, out bool fin, out int payloadOffset, out int payloadLength, out int frameLength)
    {
        opcode = 0;
        fin = false;
        payloadOffset = payloadLength = frameLength = 0;
        var available = _end - _start;
        if (available < 2)
        {
            return false;
        }

        var span = _buffer.AsSpan(_start, available);
        fin = (span[0] & 0x80) != 0;
        opcode = (byte)(span[0] & 0x0F);
        var masked = (span[1] & 0x80) != 0;
        long length = span[1] & 0x7F;
        var header = 2;
        if (length == 126)
        {
            if (available < 4)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
            header = 4;
        }
        else if (length == 127)
        {
            if (available < 10)
            {
                return false;
            }

            length = (long)BinaryPrimitives.ReadUInt64BigEndian(span[2..]);
            header = 10;
        }

        if (masked)
        {
            throw new IOException("The server sent a masked frame");
        }

        var total = header + length;
        if (total > 64 * 1024 * 1024)
        {
            throw new IOException($"Frame of {length} bytes");
        }

        if (available < total)
        {
            MakeRoom((int)total - available);
            return false;
        }

        payloadOffset = _start + header;
        payloadLength = (int)length;
        frameLength = (int)total;
        return true;
    }

    /// <summary>Ensures room for <paramref name="bytes"/> more at the end: compacts, then grows.</summary>
    private void MakeRoom(int bytes)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_buffer.Length - _end >= bytes)
        {
            return;
        }

        var length = _end - _start;
        var target = length + bytes <= _buffer.Length ? _buffer : new byte[Math.Max(_buffer.Length * 2, length + bytes)];
        Buffer.BlockCopy(_buffer, _start, target, 0, length);
        _buffer = target;
        _start = 0;
        _end = length;
    }
}
