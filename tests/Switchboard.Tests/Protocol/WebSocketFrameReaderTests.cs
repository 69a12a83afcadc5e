using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Switchboard.Protocol;

namespace Switchboard.Tests.Protocol;

public sealed class WebSocketFrameReaderTests
{
    private const int MaxFrame = 1024;
    private const int MaxMessage = 4096;
    private const int MaxFrames = 8;

    /// <summary>A client frame: masked with a fixed key, optional reserved bits.</summary>
    internal static byte[] ClientFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, byte reserved = 0)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | reserved | opcode) };
        var maskBit = mask ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        byte[] key = [0x37, 0xfa, 0x21, 0x3d];
        var body = payload.ToArray();
        if (mask)
        {
            header.AddRange(key);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        return [.. header, .. body];
    }

    private static async Task<List<InboundFrame>> ReadAll(params byte[][] chunks)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        foreach (var chunk in chunks)
        {
            await pipe.Writer.WriteAsync(chunk);
        }

        await pipe.Writer.CompleteAsync();
        var reader = new WebSocketFrameReader(pipe.Reader, MaxFrame, MaxMessage, MaxFrames);
        var frames = new List<InboundFrame>();
        while (true)
        {
            var frame = await reader.ReadAsync(CancellationToken.None);
            frames.Add(frame);
            if (frame.Kind is InboundFrameKind.EndOfStream or InboundFrameKind.Violation or InboundFrameKind.Close)
            {
                return frames;
            }
        }
    }

    [Fact]
    public async Task TextFrame_IsUnmaskedAndReturned()
    {
        var frames = await ReadAll(ClientFrame(0x1, "héllo テスト"u8));
        Assert.Equal(InboundFrameKind.Text, frames[0].Kind);
        Assert.Equal("héllo テスト", Encoding.UTF8.GetString(frames[0].Payload!));
        Assert.Equal(InboundFrameKind.EndOfStream, frames[1].Kind);
    }

    [Fact]
    public async Task FrameSplitAcrossReads_IsReassembled()
    {
        var frame = ClientFrame(0x1, Encoding.UTF8.GetBytes(new string('x', 300)));
        var frames = await ReadAll(frame[..1], frame[1..3], frame[3..9], frame[9..]);
        Assert.Equal(300, frames[0].Payload!.Length);
    }

    [Fact]
    public async Task Fragments_AreJoinedIntoOneMessage_WithPingsInBetween()
    {
        var frames = await ReadAll(
            ClientFrame(0x1, "Hel"u8, fin: false),
            ClientFrame(0x9, "p"u8),
            ClientFrame(0x0, "lo "u8, fin: false),
            ClientFrame(0x0, "world"u8));
        Assert.Equal(InboundFrameKind.Ping, frames[0].Kind);
        Assert.Equal("p", Encoding.UTF8.GetString(frames[0].Payload!));
        Assert.Equal("Hello world", Encoding.UTF8.GetString(frames[1].Payload!));
    }

    [Fact]
    public async Task MessageOfMaxFrames_IsJoined_OneMoreFrame_Violates1009()
    {
        byte[][] Fragmented(int frames) =>
            [ClientFrame(0x1, "a"u8, fin: false), .. Enumerable.Range(0, frames - 2).Select(_ => ClientFrame(0x0, [], fin: false)), ClientFrame(0x0, "b"u8)];

        var atLimit = await ReadAll(Fragmented(MaxFrames));
        Assert.Equal("ab", Encoding.UTF8.GetString(atLimit[0].Payload!));

        var overLimit = await ReadAll([.. Fragmented(MaxFrames + 1), .. Fragmented(MaxFrames)]);
        Assert.Equal(InboundFrameKind.Violation, overLimit[0].Kind);
        Assert.Equal(1009, overLimit[0].CloseCode);
        Assert.Equal($"Message exceeds {MaxFrames} frames", overLimit[0].CloseReason);
    }

    [Fact]
    public async Task FrameCount_StartsAgainWithEachMessage()
    {
        byte[][] message = [ClientFrame(0x1, "x"u8, fin: false), .. Enumerable.Range(1, MaxFrames - 1).Select(i => ClientFrame(0x0, "y"u8, fin: i == MaxFrames - 1))];

        var frames = await ReadAll([.. message, .. message, .. message]);

        Assert.Equal(3, frames.Count(frame => frame.Kind == InboundFrameKind.Text));
    }

    [Fact]
    public async Task LengthEncodings_16And64Bit_AreRead()
    {
        var medium = ClientFrame(0x1, Encoding.UTF8.GetBytes(new string('m', 1000)));
        var frames = await ReadAll(medium);
        Assert.Equal(1000, frames[0].Payload!.Length);
        Assert.Equal(126, medium[1] & 0x7F);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var large = ClientFrame(0x1, Encoding.UTF8.GetBytes(new string('l', 70_000)));
        Assert.Equal(127, large[1] & 0x7F);
        await pipe.Writer.WriteAsync(large);
        await pipe.Writer.CompleteAsync();
        var big = await new WebSocketFrameReader(pipe.Reader, 100_000, 100_000, MaxFrames).ReadAsync(CancellationToken.None);
        Assert.Equal(70_000, big.Payload!.Length);
    }

    [Theory]
    [InlineData(0x2, 1003)] // binary: unsupported, as on API Gateway
    [InlineData(0x3, 1002)] // reserved data opcode
    [InlineData(0xB, 1002)] // reserved control opcode
    public async Task UnsupportedOpcodes_Violate(byte opcode, int expectedCode)
    {
        var frames = await ReadAll(ClientFrame(opcode, "x"u8));
        Assert.Equal(InboundFrameKind.Violation, frames[0].Kind);
        Assert.Equal(expectedCode, frames[0].CloseCode);
    }

    [Fact]
    public async Task UnmaskedFrame_Violates1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x1, "x"u8, mask: false)))[0].CloseCode);

    [Fact]
    public async Task ReservedBits_Violate1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x1, "x"u8, reserved: 0x40)))[0].CloseCode);

    [Fact]
    public async Task OversizeFrame_Violates1009_BeforeItsPayloadArrives()
    {
        var frame = ClientFrame(0x1, new byte[MaxFrame + 1]);
        var frames = await ReadAll(frame[..8]);
        Assert.Equal(InboundFrameKind.Violation, frames[0].Kind);
        Assert.Equal(1009, frames[0].CloseCode);
    }

    [Fact]
    public async Task OversizeMessage_OfSmallFrames_Violates1009()
    {
        var chunk = new byte[MaxFrame];
        var chunks = Enumerable.Range(0, 5).Select(i => ClientFrame(i == 0 ? (byte)0x1 : (byte)0x0, chunk, fin: false)).ToArray();
        var frames = await ReadAll(chunks);
        Assert.Equal(1009, frames[^1].CloseCode);
    }

    [Fact]
    public async Task InvalidUtf8_Violates1007()
    {
        var frames = await ReadAll(ClientFrame(0x1, [0x61, 0xC3, 0x28]));
        Assert.Equal(1007, frames[0].CloseCode);
    }

    [Fact]
    public async Task InvalidUtf8_SplitAcrossFragmentsButValidWhole_IsAccepted()
    {
        var bytes = "é"u8.ToArray();
        var frames = await ReadAll(ClientFrame(0x1, bytes.AsSpan(0, 1), fin: false), ClientFrame(0x0, bytes.AsSpan(1)));
        Assert.Equal("é", Encoding.UTF8.GetString(frames[0].Payload!));
    }

    [Fact]
    public async Task ContinuationWithoutStart_Violates1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x0, "x"u8)))[0].CloseCode);

    [Fact]
    public async Task NewMessageInsideFragmentedMessage_Violates1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x1, "a"u8, fin: false), ClientFrame(0x1, "b"u8)))[0].CloseCode);

    [Fact]
    public async Task FragmentedControlFrame_Violates1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x9, "x"u8, fin: false)))[0].CloseCode);

    [Fact]
    public async Task OversizeControlFrame_Violates1002() =>
        Assert.Equal(1002, (await ReadAll(ClientFrame(0x9, new byte[126])))[0].CloseCode);

    [Fact]
    public async Task CloseWithCodeAndReason_IsParsed()
    {
        var payload = new byte[] { 0x03, 0xE8 }.Concat("bye"u8.ToArray()).ToArray();
        var frames = await ReadAll(ClientFrame(0x8, payload));
        Assert.Equal((InboundFrameKind.Close, 1000, "bye"), (frames[0].Kind, frames[0].CloseCode, frames[0].CloseReason));
    }

    [Fact]
    public async Task CloseWithoutPayload_Is1005() =>
        Assert.Equal(1005, (await ReadAll(ClientFrame(0x8, [])))[0].CloseCode);

    [Theory]
    [InlineData(new byte[] { 0x03 }, 1002)] // one-byte payload
    [InlineData(new byte[] { 0x03, 0xED }, 1002)] // 1005 must not be sent on the wire
    [InlineData(new byte[] { 0x03, 0xE8, 0xC3, 0x28 }, 1007)] // reason not UTF-8
    public async Task MalformedClose_Violates(byte[] payload, int expectedCode) =>
        Assert.Equal(expectedCode, (await ReadAll(ClientFrame(0x8, payload)))[0].CloseCode);

    [Fact]
    public void Unmask_MatchesBytewiseXor()
    {
        var data = Enumerable.Range(0, 37).Select(i => (byte)(i * 7)).ToArray();
        var expected = data.Select((b, i) => (byte)(b ^ new byte[] { 1, 2, 3, 4 }[i % 4])).ToArray();
        WebSocketFrameReader.Unmask(data, BinaryPrimitives.ReadUInt32LittleEndian(new byte[] { 1, 2, 3, 4 }));
        Assert.Equal(expected, data);
    }
}
