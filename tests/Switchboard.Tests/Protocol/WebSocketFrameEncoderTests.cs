using Switchboard.Protocol;

namespace Switchboard.Tests.Protocol;

public sealed class WebSocketFrameEncoderTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    public void Header_UsesShortestLengthEncoding(int length, int headerLength)
    {
        var frame = WebSocketFrameEncoder.Encode(WebSocketOpcode.Text, new byte[length]);
        Assert.Equal(headerLength + length, frame.Length);
        Assert.Equal(0x81, frame[0]);
        Assert.Equal(0, frame[1] & 0x80); // server frames are never masked
    }

    [Fact]
    public void Close_CarriesCodeAndTruncatedReason()
    {
        var frame = WebSocketFrameEncoder.EncodeClose(1001, new string('r', 300));
        Assert.Equal(0x88, frame[0]);
        Assert.Equal(125, frame[1]);
        Assert.Equal(new byte[] { 0x03, 0xE9 }, frame[2..4]);
    }

    [Fact]
    public void Close_WithNoStatus_HasEmptyPayload() =>
        Assert.Equal(new byte[] { 0x88, 0x00 }, WebSocketFrameEncoder.EncodeClose(1005, "ignored"));

    [Fact]
    public void HandshakeAccept_MatchesRfc6455Example() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));
}
