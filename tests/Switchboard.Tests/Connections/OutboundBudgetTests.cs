using Switchboard.Configuration;
using Switchboard.Connections;

namespace Switchboard.Tests.Connections;

/// <summary>
/// The node-wide outbound budget (<see cref="OutboundBudget"/>, <c>Limits:MaxQueuedBytesPerNode</c>): what counts,
/// that a send beyond it is refused as at a full queue, and that everything counted is released again.
/// </summary>
[Collection(RaceTests.Name)]
public sealed class OutboundBudgetTests : IDisposable
{
    private static readonly TimeSpan Bound = ConnectionTestBed.Bound;

    // Per-connection bounds out of the way: only the node's budget refuses here.
    private static readonly LimitsOptions Unbounded = new() { MaxQueuedMessagesPerConnection = int.MaxValue, MaxQueuedBytesPerConnection = int.MaxValue };

    private readonly ConnectionTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    /// <summary>What one queued 1,000-byte text message counts: its frame (4-byte header) and payload, the message, one entry.</summary>
    private const long OneMessage = (1000 + 4) + 1000 + OutboundBudget.MessageBytes + OutboundBudget.EntryBytes;

    [Fact]
    public async Task ASendBeyondTheNodesBudget_IsRefusedAsAFullQueue_OnAnyConnection_AndAcceptedOnceTheQueuesAreWritten()
    {
        var budget = new OutboundBudget(3 * OneMessage);
        var settings = _bed.Settings(Unbounded, budget);
        var stuck = new RecordingStream();
        stuck.Hold();
        var other = new RecordingStream();
        other.Hold();
        var first = _bed.Open(stuck, settings);
        var second = _bed.Open(other, settings);

        // The first message is being written (its write is held), two more wait: all three count until written.
        Assert.Equal(SendStatus.Queued, first.TrySend(Message('a')));
        await stuck.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, first.TrySend(Message('b')));
        Assert.Equal(SendStatus.Queued, second.TrySend(Message('c')));
        Assert.Equal(3 * OneMessage, budget.QueuedBytes);

        // Full: a connection with an empty queue of its own is refused too.
        var third = _bed.Open(new RecordingStream(), settings);
        Assert.Equal(SendStatus.QueueFull, third.TrySend(Message('d')));
        Assert.Equal(SendStatus.QueueFull, first.TrySend(Message('e')));
        Assert.Equal(3 * OneMessage, budget.QueuedBytes);

        stuck.Release();
        other.Release();
        await stuck.DataFramesWritten(2).WaitAsync(Bound);
        await other.DataFramesWritten(1).WaitAsync(Bound);
        await ConnectionTestBed.WaitUntilIdleAsync(first);
        await ConnectionTestBed.WaitUntilIdleAsync(second);
        Assert.Equal(0, budget.QueuedBytes);
        Assert.Equal(SendStatus.Queued, third.TrySend(Message('f')));
    }

    [Fact]
    public async Task ABroadcastsFrame_CountsOnce_PlusAnEntryPerQueue()
    {
        var budget = new OutboundBudget(long.MaxValue / 2);
        var settings = _bed.Settings(Unbounded, budget);
        var streams = Enumerable.Range(0, 3).Select(_ => new RecordingStream()).ToList();
        streams.ForEach(stream => stream.Hold());
        var connections = streams.Select(stream => _bed.Open(stream, settings)).ToList();

        var broadcast = Message('x');
        foreach (var connection in connections)
        {
            Assert.Equal(SendStatus.Queued, connection.TrySend(broadcast));
        }

        Assert.Equal(OneMessage + (2 * OutboundBudget.EntryBytes), budget.QueuedBytes);
        streams.ForEach(stream => stream.Release());
        foreach (var connection in connections)
        {
            await ConnectionTestBed.WaitUntilIdleAsync(connection);
        }

        Assert.Equal(0, budget.QueuedBytes);
    }

    [Fact]
    public async Task AFailedWrite_AndAnEndedConnection_ReleaseWhatTheirQueueHeld()
    {
        var budget = new OutboundBudget(long.MaxValue / 2);
        var settings = _bed.Settings(Unbounded, budget);
        var failing = new RecordingStream();
        failing.Hold();
        var broken = _bed.Open(failing, settings);
        Assert.Equal(SendStatus.Queued, broken.TrySend(Message('a')));
        await failing.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, broken.TrySend(Message('b')));

        // The writer fails on the first and never takes the second: the failure releases its batch, the end the rest.
        failing.Fail(new IOException("Connection reset by peer"));
        await broken.CloseSent.WaitAsync(Bound);
        broken.MarkEnded();
        broken.Release();

        // A connection that ended with a message still queued behind the one being written.
        var holding = new RecordingStream();
        holding.Hold();
        var ended = _bed.Open(holding, settings);
        Assert.Equal(SendStatus.Queued, ended.TrySend(Message('c')));
        await holding.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, ended.TrySend(Message('d')));
        ended.MarkEnded();
        ended.Release();
        holding.Release();
        await ConnectionTestBed.WaitUntilIdleAsync(ended);

        Assert.Equal(0, budget.QueuedBytes);
    }

    [Fact]
    public void TheDerivedBudget_IsAQuarterOfTheGcsAvailableMemory_UnlessSet()
    {
        Assert.Equal(16L * 1024 * 1024, OutboundBudget.BytesFor(new LimitsOptions(), 64L * 1024 * 1024));
        Assert.Equal(5_000_000, OutboundBudget.BytesFor(new LimitsOptions { MaxQueuedBytesPerNode = 5_000_000 }, 64L * 1024 * 1024));
    }

    private static OutboundMessage Message(char fill) => OutboundMessage.FromText(new string(fill, 1000));
}
