using Switchboard.Protocol;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Testing;
using Switchboard.Transport;

namespace Switchboard.Tests.Connections;

/// <summary>
/// The outbound side of one connection against a stream whose writes the test holds back, as a client that does not
/// read holds back the socket: what the queue keeps, what it refuses, and that the writer never misses a message.
/// </summary>
public sealed class GatewayConnectionTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Pongs_WhileTheClientDoesNotRead_OnlyTheNewestWaits_AndTheConnectionCountsAsDropping()
    {
        var stream = new HeldStream();
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
        var stream = new HeldStream();
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
        var stream = new HeldStream();
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedBytesPerConnection = 1000 });

        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText(new string('a', 5000))));
        await WaitUntilIdleAsync(connection);
        Assert.Equal(5000, stream.Frames().Single().Payload.Length);
    }

    [Fact]
    public async Task IsSlowerThan_HoldsOnlyOnceTheTimeoutHasPassedSinceTheFirstDrop()
    {
        var stream = new HeldStream();
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedMessagesPerConnection = 1 });
        stream.Hold();
        connection.TrySend(OutboundMessage.FromText("written"));
        await stream.WriteStarted(1).WaitAsync(Bound);
        Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText("waits")));
        var droppedAt = Now;
        Assert.False(connection.IsSlowerThan(droppedAt, TimeSpan.FromSeconds(10)), "nothing was dropped yet");

        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText("dropped")));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(SendStatus.QueueFull, connection.TrySend(OutboundMessage.FromText("dropped later")));
        Assert.False(connection.IsSlowerThan(droppedAt + 9_999, TimeSpan.FromSeconds(10)));
        Assert.True(connection.IsSlowerThan(droppedAt + 10_000, TimeSpan.FromSeconds(10)), "the first drop starts the clock");

        stream.Release();
        await WaitUntilIdleAsync(connection);
        Assert.False(connection.IsSlowerThan(droppedAt + 60_000, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ManyProducers_EveryMessageIsWritten_InEachProducersOrder()
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var stream = new HeldStream { YieldEvery = 7 };
        var connection = NewConnection(stream, new LimitsOptions { MaxQueuedMessagesPerConnection = int.MaxValue, MaxQueuedBytesPerConnection = int.MaxValue });

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(producer => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                Assert.Equal(SendStatus.Queued, connection.TrySend(OutboundMessage.FromText($"{producer}:{i}"), writeNow: i % 3 == 0));
                if (i % 64 == 0)
                {
                    connection.SendPong([(byte)producer]);
                }
            }
        })));

        // A lost wake-up leaves the last messages queued with no writer: this wait would then time out.
        var next = new int[Producers];
        var seen = 0;
        await Eventually.UntilAsync(
            () =>
            {
                var frames = stream.Frames();
                for (; seen < frames.Count; seen++)
                {
                    var (opcode, text) = frames[seen];
                    if (opcode != WebSocketOpcode.Text)
                    {
                        continue;
                    }

                    var parts = text.Split(':');
                    var producer = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                    Assert.Equal(next[producer]++, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                }

                return Task.FromResult(next.All(count => count == PerProducer));
            },
            Bound,
            "every message of every producer to be written",
            () => $"written per producer: {string.Join(", ", next)}");
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private GatewayConnection NewConnection(HeldStream stream, LimitsOptions? limits = null)
    {
        var settings = new ConnectionSettings(limits ?? new LimitsOptions(), _time, new SwitchboardMetrics(_services.GetRequiredService<IMeterFactory>()));
        var connection = new GatewayConnection("connection", _time.GetUtcNow(), "127.0.0.1", null, null, settings);
        connection.Start(stream);
        return connection;
    }

    /// <summary>The writer goes idle (which is what forgets a drop) right after its last write; nothing signals that.</summary>
    private static Task WaitUntilIdleAsync(GatewayConnection connection) =>
        Eventually.UntilAsync(() => Task.FromResult(!connection.IsWriting), Bound, "the connection's writer to go idle");

    /// <summary>Records what is written; while held, each write waits until released, as a socket whose peer does not read.</summary>
    private sealed class HeldStream : Stream
    {
        private readonly Lock _lock = new();
        private readonly MemoryStream _written = new();
        private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
        private TaskCompletionSource _gate = Completed();
        private int _writes;

        /// <summary>Every this many writes, complete asynchronously (0: never), to vary the writer's path.</summary>
        public int YieldEvery { get; init; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        /// <summary>Completes once <paramref name="count"/> writes have started.</summary>
        public Task WriteStarted(int count)
        {
            lock (_lock)
            {
                if (_writes >= count)
                {
                    return Task.CompletedTask;
                }

                var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, signal));
                return signal.Task;
            }
        }

        /// <summary>The frames written so far (server frames: unmasked), as opcode and text.</summary>
        public List<(WebSocketOpcode Opcode, string Payload)> Frames()
        {
            byte[] bytes;
            lock (_lock)
            {
                bytes = _written.ToArray();
            }

            var frames = new List<(WebSocketOpcode, string)>();
            for (var offset = 0; offset < bytes.Length;)
            {
                var opcode = (WebSocketOpcode)(bytes[offset] & 0x0F);
                long length = bytes[offset + 1] & 0x7F;
                offset += 2;
                if (length == 126)
                {
                    length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset));
                    offset += 2;
                }
                else if (length == 127)
                {
                    length = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(offset));
                    offset += 8;
                }

                frames.Add((opcode, Encoding.UTF8.GetString(bytes, offset, (int)length)));
                offset += (int)length;
            }

            return frames;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Task gate;
            int writes;
            lock (_lock)
            {
                _written.Write(buffer.Span);
                writes = ++_writes;
                foreach (var waiter in _waiters.Where(w => w.Count <= writes).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Signal.TrySetResult();
                }

                gate = _gate.Task;
            }

            await gate.ConfigureAwait(false);
            if (YieldEvery > 0 && writes % YieldEvery == 0)
            {
                await Task.Yield();
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private static TaskCompletionSource Completed()
        {
            var source = new TaskCompletionSource();
            source.SetResult();
            return source;
        }
    }
}
