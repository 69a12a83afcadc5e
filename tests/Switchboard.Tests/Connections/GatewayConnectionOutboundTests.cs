using System.Globalization;
using Microsoft.AspNetCore.Http;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Protocol;
using Switchboard.Transport;

namespace Switchboard.Tests.Connections;

/// <summary>
/// The lock-free outbound queue and its single writer (GatewayConnection.Outbound.cs) against a stream that records
/// every write and can hold or fail one: order per producer, no lost wake-up, coalescing, the close, a failing write.
/// </summary>
[Collection(RaceTests.Name)]
public sealed class GatewayConnectionOutboundTests : IDisposable
{
    private static readonly TimeSpan Bound = ConnectionTestBed.Bound;

    private static readonly LimitsOptions Unbounded = new() { MaxQueuedMessagesPerConnection = int.MaxValue, MaxQueuedBytesPerConnection = int.MaxValue };

    private readonly ConnectionTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task ManyProducers_EachProducersMessagesAreWrittenInItsOrder_NoneLostNoneDuplicated()
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var stream = new RecordingStream { YieldEvery = 7 };
        var connection = _bed.Open(stream, Unbounded);
        using var start = new Barrier(Producers);

        // Threads of their own, started together: blocked at the barrier they do not hold the pool's threads.
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(producer => Races.OnOwnThread(() =>
        {
            start.SignalAndWait(Bound);
            for (var i = 0; i < PerProducer; i++)
            {
                Assert.Equal(SendStatus.Queued, connection.TrySend(Numbered(producer, i), writeNow: i % 3 == 0));
                if (i % 64 == 0)
                {
                    connection.SendPong([(byte)producer]);
                }
            }
        }))).WaitAsync(Bound);

        // A lost wake-up leaves the last messages queued with no writer: this wait would then time out.
        await stream.DataFramesWritten(Producers * PerProducer).WaitAsync(Bound);
        AssertEachProducerInOrder(stream.Frames(), Producers, PerProducer);
    }

    [Fact]
    public async Task APush_AsTheWriterGivesUpItsRole_IsStillWritten()
    {
        const int Rounds = 5_000;
        var stream = new RecordingStream();
        var connection = _bed.Open(stream);

        await Races.OnOwnThread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                // The writer runs on the pool. Right after it wrote the first message it finds the queue empty and gives
                // up its role; the second message is pushed around that moment, a little later each round, so that over
                // the rounds it lands before, during and after the hand-over (a window of nanoseconds: the second message
                // is encoded beforehand, and the first one's write is watched in a tight spin).
                var second = OutboundMessage.FromText($"{round} second");
                _ = second.Frame;
                connection.TrySend(OutboundMessage.FromText($"{round} first"));
                var firstWritten = stream.DataFramesWritten((2 * round) + 1);
                Races.SpinUntil(() => firstWritten.IsCompleted);
                Thread.SpinWait(round % 32);
                Assert.Equal(SendStatus.Queued, connection.TrySend(second, writeNow: round % 2 == 0));
                // A lost wake-up leaves the second message queued with no writer.
                Assert.True(stream.DataFramesWritten((2 * round) + 2).Wait(Bound), $"round {round}: the second message was never written");
            }
        }).WaitAsync(Bound * 2);

        Assert.Equal(2 * Rounds, stream.Frames().Count);
    }

    [Fact]
    public async Task ALoneFrame_IsWrittenAsItIs_AndFramesFoundQueued_AreCoalescedIntoOneWrite_PongFirst()
    {
        var stream = new RecordingStream();
        var connection = _bed.Open(stream);
        stream.Hold();
        var lone = OutboundMessage.FromText("lone");
        connection.TrySend(lone);
        await stream.WriteStarted(1).WaitAsync(Bound);

        foreach (var text in new[] { "b", "c", "d" })
        {
            connection.TrySend(OutboundMessage.FromText(text));
        }

        connection.SendPong("ping"u8.ToArray());
        stream.Release();
        await stream.DataFramesWritten(4).WaitAsync(Bound);
        await ConnectionTestBed.WaitUntilIdleAsync(connection);

        var writes = stream.Writes();
        Assert.Same(lone.Frame, writes[0].Source);
        Assert.Equal([[(WebSocketOpcode.Text, "lone")], [(WebSocketOpcode.Pong, "ping"), (WebSocketOpcode.Text, "b"), (WebSocketOpcode.Text, "c"), (WebSocketOpcode.Text, "d")]], writes.Select(write => write.Frames()));
    }

    [Fact]
    public async Task Coalescing_FillsOneBufferAtATime_AndWritesAFrameLargerThanTheBufferAsItIs()
    {
        var stream = new RecordingStream();
        var connection = _bed.Open(stream, Unbounded);
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("held"));
        await stream.WriteStarted(1).WaitAsync(Bound);

        // The buffer holds 16 KB: two 6 KB frames fit, a third does not; a 20 KB frame goes on its own.
        var sixKb = new string('s', 6 * 1024);
        foreach (var text in new[] { "1" + sixKb, "2" + sixKb, "3" + sixKb })
        {
            connection.TrySend(OutboundMessage.FromText(text));
        }

        var large = OutboundMessage.FromText(new string('L', 20 * 1024));
        connection.TrySend(large);
        var last = OutboundMessage.FromText("last");
        connection.TrySend(last);
        stream.Release();
        await stream.DataFramesWritten(6).WaitAsync(Bound);
        await ConnectionTestBed.WaitUntilIdleAsync(connection);

        var writes = stream.Writes();
        Assert.Equal(
            [["held"], ["1" + sixKb, "2" + sixKb], ["3" + sixKb], [new string('L', 20 * 1024)], ["last"]],
            writes.Select(write => write.Frames().Select(frame => frame.Payload)));
        Assert.Same(large.Frame, writes[3].Source);
        Assert.Same(last.Frame, writes[4].Source);
    }

    [Fact]
    public async Task Close_WhileAWriteIsHeld_ComesAfterWhatWasQueuedBeforeIt_AndNothingComesAfterIt()
    {
        var stream = new RecordingStream();
        var connection = _bed.Open(stream);
        stream.Hold();
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("being written")));
        await stream.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("queued 1")));
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("queued 2")));

        Assert.True(connection.TryBeginClose(new ServerClose(CloseCodes.GoingAway, "Going away", "Going away")));
        Assert.True(connection.IsClosing);
        Assert.Equal(SendStatus.Gone, connection.TrySend(OutboundMessage.FromText("after the close")));
        Assert.False(connection.TryBeginClose(new ServerClose(CloseCodes.PolicyViolation, "Second close", "Second close")));
        Assert.False(connection.TryEchoClose(CloseCodes.NormalClosure));
        Assert.False(connection.CloseSent.IsCompleted, "the close frame waits behind the held write");

        stream.Release();
        await connection.CloseSent.WaitAsync(Bound);
        // Control frames sent once the close is out are not written either.
        connection.SendPing();
        connection.SendPong("late"u8.ToArray());
        await ConnectionTestBed.WaitUntilIdleAsync(connection);

        Assert.Equal(
            [(WebSocketOpcode.Text, "being written"), (WebSocketOpcode.Text, "queued 1"), (WebSocketOpcode.Text, "queued 2"), (WebSocketOpcode.Close, $"{CloseCodes.GoingAway} Going away")],
            stream.Frames());
        Assert.Equal(2, stream.Writes().Count);
        connection.Release();
    }

    [Fact]
    public async Task AFailingWrite_AbortsTheTransport_RefusesLaterSends_AndNoWriterTouchesTheStreamAgain()
    {
        var stream = new RecordingStream();
        var transport = new AbortRecordingUpgrade();
        var connection = _bed.Open(stream, transport: transport);
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("first"));
        await stream.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("queued behind it")));

        stream.Fail(new IOException("Connection reset by peer"));
        await connection.CloseSent.WaitAsync(Bound);

        Assert.True(transport.WasAborted, "the transport is aborted, which ends the read loop");
        Assert.True(connection.IsClosing);
        Assert.Equal(SendStatus.Gone, connection.TrySend(OutboundMessage.FromText("after the failure")));
        // A keep-alive ping starts the writer on the calling thread when it is idle: had the failure released the
        // writer role, this would write (and fail) before returning.
        connection.SendPing();
        connection.SendPong("pong"u8.ToArray());
        Assert.Equal(1, stream.WriteAttempts);
        Assert.True(connection.IsWriting, "the writer role stays taken on a broken stream");
    }

    [Fact]
    public async Task Stress_ManyProducersWithRandomPauses_EveryMessageIsWrittenOnceInItsProducersOrder_AndTheCountsReturnToZero()
    {
        const int Producers = 8;
        const int PerProducer = 8_000;
        const int MaxQueued = 64;
        var stream = new RecordingStream { YieldEvery = 5 };
        var connection = _bed.Open(stream, new LimitsOptions { MaxQueuedMessagesPerConnection = MaxQueued, MaxQueuedBytesPerConnection = int.MaxValue });

        // Producers on the pool, as management calls and broadcasts are. This is the test that found a node pushed
        // twice (GatewayConnection.Push compared the head with node.Next after the CAS); it caught that in about one run
        // in eight on two cores, as a message written twice.
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(producer => Task.Run(async () =>
        {
            // Seeded per producer: a failure can be replayed with the same pauses.
            var random = new Random(producer);
            for (var i = 0; i < PerProducer; i++)
            {
                var message = Numbered(producer, i);
                // The bound is small, so producers often find the queue full: they retry the refused message, as a
                // backend retries a 429, which must not disturb their order.
                while (connection.TrySend(message, writeNow: random.Next(4) == 0) == SendStatus.QueueFull)
                {
                    await Task.Yield();
                }

                switch (random.Next(100))
                {
                    case < 2:
                        await Task.Yield();
                        break;
                    case < 10:
                        Thread.SpinWait(random.Next(200));
                        break;
                    case < 12:
                        connection.SendPong([(byte)producer]);
                        break;
                }
            }
        }))).WaitAsync(Bound);

        await stream.DataFramesWritten(Producers * PerProducer).WaitAsync(Bound);
        AssertEachProducerInOrder(stream.Frames(), Producers, PerProducer);

        // Nothing leaked from the counts: with one write held, exactly the bound is queued behind it again.
        await ConnectionTestBed.WaitUntilIdleAsync(connection);
        var writesSoFar = stream.Writes().Count;
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("held"));
        await stream.WriteStarted(writesSoFar + 1).WaitAsync(Bound);
        for (var i = 0; i < MaxQueued; i++)
        {
            Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("fits")));
        }

        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText("one too many")));
        stream.Release();
    }

    private static OutboundMessage Numbered(int producer, int index) => OutboundMessage.FromText($"{producer}:{index}");

    /// <summary>Every producer's messages, each exactly once and in the order it sent them; other frames (pongs) aside.</summary>
    private static void AssertEachProducerInOrder(List<(WebSocketOpcode Opcode, string Payload)> frames, int producers, int perProducer)
    {
        var next = new int[producers];
        foreach (var (opcode, payload) in frames.Where(frame => frame.Opcode == WebSocketOpcode.Text))
        {
            var separator = payload.IndexOf(':', StringComparison.Ordinal);
            var producer = int.Parse(payload.AsSpan(0, separator), CultureInfo.InvariantCulture);
            var index = int.Parse(payload.AsSpan(separator + 1), CultureInfo.InvariantCulture);
            Assert.True(index == next[producer], $"producer {producer}: message {index} written where {next[producer]} was due");
            next[producer]++;
        }

        Assert.All(next, count => Assert.Equal(perProducer, count));
    }

    /// <summary>A transport that only notes that the connection aborted it.</summary>
    private sealed class AbortRecordingUpgrade() : WebSocketUpgrade(new UpgradeRequest
    {
        Method = "GET",
        Headers = new HeaderDictionary(),
        Query = QueryCollection.Empty,
        IsUpgradable = true,
        RemoteIpAddress = null,
        LocalPort = 0,
        Scheme = "http",
    })
    {
        private int _aborted;

        public bool WasAborted => Volatile.Read(ref _aborted) != 0;

        public override CancellationToken Aborted => CancellationToken.None;

        public override void Abort() => Volatile.Write(ref _aborted, 1);

        public override ValueTask RefuseAsync(int statusCode) => throw new NotSupportedException();

        public override ValueTask<(System.IO.Pipelines.PipeReader Input, Stream Output)> AcceptAsync(string? subProtocol) => throw new NotSupportedException();
    }
}
