using System.Text;

namespace Switchboard.Redis.Tests;

public sealed class BackplaneMessageTests
{
    [Fact]
    public void Send_RoundTrips_WithItsPayloadByteForByte()
    {
        byte[] payload = [0xFF, 0x00, .. Encoding.UTF8.GetBytes("héllo テスト")];

        Assert.True(BackplaneMessage.TryParse(BackplaneMessage.Send(42, 1_735_725_600_123, "node-abc", "Qyi07eCbtjMCJKw=", payload), out var message));

        Assert.Equal(BackplaneMessageKind.Send, message.Kind);
        Assert.Equal(42, message.CorrelationId);
        Assert.Equal(1_735_725_600_123, message.Value);
        Assert.Equal("node-abc", message.Node);
        Assert.Equal("Qyi07eCbtjMCJKw=", message.ConnectionId);
        Assert.Equal(payload, message.Payload.ToArray());
    }

    [Fact]
    public void DisconnectBroadcastAndReply_RoundTrip()
    {
        Assert.True(BackplaneMessage.TryParse(BackplaneMessage.Disconnect(7, 99, "node-a", "abc="), out var disconnect));
        Assert.Equal((BackplaneMessageKind.Disconnect, 7L, 99L, "node-a", "abc=", 0), (disconnect.Kind, disconnect.CorrelationId, disconnect.Value, disconnect.Node, disconnect.ConnectionId, disconnect.Payload.Length));

        Assert.True(BackplaneMessage.TryParse(BackplaneMessage.Broadcast(long.MaxValue, "node-b", "hi"u8), out var broadcast));
        Assert.Equal((BackplaneMessageKind.Broadcast, long.MaxValue, "node-b", "hi"), (broadcast.Kind, broadcast.CorrelationId, broadcast.Node, Encoding.UTF8.GetString(broadcast.Payload.Span)));

        Assert.True(BackplaneMessage.TryParse(BackplaneMessage.Reply(-3, 1234567890123), out var reply));
        Assert.Equal((BackplaneMessageKind.Reply, -3L, 1234567890123L), (reply.Kind, reply.CorrelationId, reply.Value));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 9, 0, 0, 0, 0, 0, 0, 0, 1, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 200, 65 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 200, 65 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 65 })]
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 1, 0 })]
    public void Malformed_IsRejected_NotThrown(byte[] bytes) =>
        Assert.False(BackplaneMessage.TryParse(bytes, out _));
}
