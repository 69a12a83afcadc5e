using System.Text;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Protocol;

namespace Switchboard.Tests.Connections;

/// <summary>
/// What one connection holds for a client that does not read (its writes held back, as such a client holds back the
/// socket): what the queue keeps, what it refuses, and the slow-client clock. The writer's order, coalescing, close
/// and failures: <see cref="GatewayConnectionOutboundTests"/>.
/// </summary>
public sealed class GatewayConnectionTests : IDisposable
{
    private static readonly TimeSpan Bound = ConnectionTestBed.Bound;

    private readonly ConnectionTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task Pongs_WhileTheClientDoesNotRead_OnlyTheNewestWaits_AndTheConnectionCountsAsDropping()
    {
        var stream = new RecordingStream();
        var connection = NewConnection(stream);
        stream.Hold();
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("first")));
        await stream.WriteStarted(1).WaitAsync(Bound);

        for (var i = 0; i < 10_000; i++)
        {
            connection.SendPong(Encoding.ASCII.GetBytes($"ping {i}"));
        }

        Assert.True(connection.IsSlowerThan(Now + 10_000, TimeSpan.FromSeconds(10)), "replaced pongs must count as drops");
        stream.Release();
        await stream.WriteStarted(2).WaitAsync(Bound);
        await WaitUntilIdleAsync(connection);

        var frames = stream.Frames();
        Assert.Equal([(WebSocketOpcode.Text, "first"), (WebSocketOpcode.Pong, "ping 9999")], frames);
        Assert.False(connection.IsSlowerThan(Now + 10_000, TimeSpan.FromSeconds(10)), "a client that caught up is not slow");
    }

    [Fact]
    public async Task TrySend_RefusesAtTheByteBound_LongBeforeTheMessageBound()
    {
        var stream = new RecordingStream();
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedBytesPerConnection = 1024 * 1024, MaxQueuedMessagesPerConnection = 1024 });
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("blocks the writer"));
        await stream.WriteStarted(1).WaitAsync(Bound);

        var payload = new string('x', 120 * 1024);
        var accepted = 0;
        while (connection.TrySend(OutboundMessage.FromText(payload)) == SendStatus.Queued)
        {
            Assert.True(++accepted <= 1024, "the queue has no byte bound");
        }

        // A 120 KB text frame has a 10-byte header: eight of them fit in 1 MiB, a ninth does not.
        Assert.Equal(8, accepted);
        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText(payload)));

        stream.Release();
        await stream.WriteStarted(2).WaitAsync(Bound);
        await WaitUntilIdleAsync(connection);
        Assert.Equal(1 + accepted, stream.Frames().Count);
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText(payload)));
    }

    [Fact]
    public async Task TrySend_AMessageLargerThanTheByteBound_IsQueuedWhenNothingElseWaits()
    {
        var stream = new RecordingStream();
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedBytesPerConnection = 1000 });

        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText(new string('a', 5000))));
        await WaitUntilIdleAsync(connection);
        Assert.Equal(5000, stream.Frames().Single().Payload.Length);
    }

    [Fact]
    public async Task IsSlowerThan_HoldsOnlyOnceTheTimeoutHasPassedSinceTheFirstDrop()
    {
        var stream = new RecordingStream();
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedMessagesPerConnection = 1 });
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("written"));
        await stream.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("waits")));
        var droppedAt = Now;
        Assert.False(connection.IsSlowerThan(droppedAt, TimeSpan.FromSeconds(10)), "nothing was dropped yet");

        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText("dropped")));
        _bed.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText("dropped later")));
        Assert.False(connection.IsSlowerThan(droppedAt + 9_999, TimeSpan.FromSeconds(10)));
        Assert.True(connection.IsSlowerThan(droppedAt + 10_000, TimeSpan.FromSeconds(10)), "the first drop starts the clock");

        stream.Release();
        await WaitUntilIdleAsync(connection);
        Assert.False(connection.IsSlowerThan(droppedAt + 60_000, TimeSpan.FromSeconds(10)));
    }

    private long Now => _bed.NowMs;

    private GatewayConnection NewConnection(RecordingStream stream, LimitsOptions? limits = null) => _bed.Open(stream, limits);

    private static Task WaitUntilIdleAsync(GatewayConnection connection) => ConnectionTestBed.WaitUntilIdleAsync(connection);
}
