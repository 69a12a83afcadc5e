using Switchboard.Protocol;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Routing;
using Switchboard.Transport;

namespace Switchboard.Benchmarks;

/// <summary>
/// The hot-path operations, each set up once and run many times: measured by the BenchmarkDotNet classes in this
/// project and held to <c>bench/allocation-budget.json</c> by <c>AllocationBudgetTests</c> (which compiles this file),
/// so the budget and the benchmarks always measure the same code. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class HotPathOperations : IDisposable
{
    /// <summary>Connections in the fan-out operation.</summary>
    public const int FanOutConnections = 1000;

    private static readonly byte[] MessageBody = """{"action":"echo","data":"T=1234567890;P=1;S=42;xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"""u8.ToArray();
    private static readonly byte[] NestedBody = """{"meta":{"version":2,"kind":"chat"},"action":"sendmessage","data":"hello"}"""u8.ToArray();
    private static readonly byte[] CompositeBody = """{"service":"chat","action":"send","data":"hello"}"""u8.ToArray();

    private readonly RouteSelectionExpression _action = RouteSelectionExpression.Parse("$request.body.action");
    private readonly RouteSelectionExpression _nested = RouteSelectionExpression.Parse("$request.body.meta.kind");
    private readonly RouteSelectionExpression _composite = RouteSelectionExpression.Parse("${request.body.service}/${request.body.action}");
    private readonly RouteEvent _messageEvent;
    private readonly RouteEvent _connectEvent;
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(4096);
    private readonly Utf8JsonWriter _eventWriter;
    private readonly byte[] _payload = new byte[100];
    private readonly byte[] _header = new byte[WebSocketFrameEncoder.MaxHeaderLength];
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly WebSocketFrameReader _frameReader;
    private readonly byte[] _maskedFrame;
    private readonly byte[][] _maskedFragments;
    private readonly MeterFactory _meters = new();
    private readonly SwitchboardMetrics _metrics;
    private readonly CountingStream _sink = new();
    private readonly GatewayConnection[] _connections;
    private long _drainTarget;

    public HotPathOperations()
    {
        var connectedAt = DateTimeOffset.FromUnixTimeMilliseconds(1735725600123);
        _messageEvent = new RouteEvent
        {
            RouteKey = "echo",
            EventType = RouteEventType.Message,
            ConnectionId = "Zq3LmA1bIAMCXyw=",
            RequestId = "Zq3Qe2t0IAMF7hA=",
            MessageId = "Zq3Qe4kHIAMCXyw=",
            ConnectedAt = connectedAt,
            RequestTime = connectedAt.AddSeconds(30),
            Stage = "production",
            ApiId = "k3x9qz7v1a",
            DomainName = "127.0.0.1:8080",
            SourceIp = "127.0.0.2",
            UserAgent = "switchboard-loadtest",
            BodyUtf8 = MessageBody,
        };
        _connectEvent = new RouteEvent
        {
            RouteKey = "$connect",
            EventType = RouteEventType.Connect,
            ConnectionId = "Zq3LmA1bIAMCXyw=",
            RequestId = "Zq3Qe2t0IAMF7hA=",
            ConnectedAt = connectedAt,
            RequestTime = connectedAt,
            Stage = "production",
            ApiId = "k3x9qz7v1a",
            DomainName = "127.0.0.1:8080",
            SourceIp = "127.0.0.2",
            UserAgent = "switchboard-loadtest",
            Headers =
            [
                new("Host", "127.0.0.1:8080"),
                new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                new("Sec-WebSocket-Version", "13"),
                new("User-Agent", "switchboard-loadtest"),
                new("X-Amzn-Trace-Id", "Root=1-6774f2a0-0123456789abcdef01234567"),
                new("X-Forwarded-For", "127.0.0.2"),
                new("X-Forwarded-Port", "8080"),
                new("X-Forwarded-Proto", "http"),
            ],
            QueryString = [new("token", new StringValues(["a", "b"]))],
        };
        _eventWriter = new Utf8JsonWriter(_eventBuffer, ProxyEventWriter.WriterOptions);
        Encoding.ASCII.GetBytes(new string('x', _payload.Length), _payload);
        _frameReader = new WebSocketFrameReader(_pipe.Reader, 32 * 1024, 128 * 1024, 1024);
        _maskedFrame = Masked(0x81, _payload);
        _maskedFragments = [Masked(0x01, _payload.AsSpan(0, 40)), Masked(0x00, _payload.AsSpan(40, 40)), Masked(0x80, _payload.AsSpan(80))];
        _metrics = new SwitchboardMetrics(_meters);
        _connections = new GatewayConnection[FanOutConnections];
        var settings = new ConnectionSettings(
            new LimitsOptions { MaxQueuedMessagesPerConnection = int.MaxValue / 2, MaxQueuedBytesPerConnection = int.MaxValue / 2 },
            TimeProvider.System,
            _metrics);
        for (var i = 0; i < _connections.Length; i++)
        {
            _connections[i] = new GatewayConnection(ConnectionId.New(), connectedAt, "127.0.0.2", null, null, settings);
            _connections[i].Start(_sink);
        }
    }

    /// <summary>Every operation by its budget key, for the allocation test.</summary>
    public IReadOnlyDictionary<string, Action> ByName() => new Dictionary<string, Action>
    {
        ["RouteSelection.EvaluateAction"] = () => EvaluateAction(),
        ["RouteSelection.EvaluateNested"] = () => EvaluateNested(),
        ["RouteSelection.EvaluateComposite"] = () => EvaluateComposite(),
        ["ProxyEventWriter.WriteMessageEvent"] = () => WriteMessageEvent(),
        ["ProxyEventWriter.WriteConnectEvent"] = () => WriteConnectEvent(),
        ["ProxyEventWriter.MessageEventToBytes"] = () => MessageEventToBytes(),
        ["FrameEncoder.EncodeTextFrame"] = () => EncodeTextFrame(),
        ["FrameEncoder.WriteHeader"] = () => WriteHeader(),
        ["FrameReader.ReadTextFrame"] = () => ReadTextFrame(),
        ["FrameReader.ReadFragmentedMessage"] = () => ReadFragmentedMessage(),
        ["FanOut.QueueToAll"] = () =>
        {
            QueueToAll();
            WaitForDrain();
        },
    };

    public string? EvaluateAction() => _action.Evaluate(MessageBody);

    public string? EvaluateNested() => _nested.Evaluate(NestedBody);

    public string? EvaluateComposite() => _composite.Evaluate(CompositeBody);

    /// <summary>A MESSAGE event into a reused buffer and writer (what an HTTP integration needs per message).</summary>
    public int WriteMessageEvent() => WriteEvent(_messageEvent);

    /// <summary>A CONNECT event with eight headers and a query string.</summary>
    public int WriteConnectEvent() => WriteEvent(_connectEvent);

    public byte[] MessageEventToBytes() => ProxyEventWriter.ToUtf8Bytes(_messageEvent);

    public byte[] EncodeTextFrame() => WebSocketFrameEncoder.Encode(WebSocketOpcode.Text, _payload);

    public int WriteHeader() => WebSocketFrameEncoder.WriteHeader(_header, WebSocketOpcode.Text, _payload.Length);

    /// <summary>One masked 100-byte text frame through the pipe and the reader.</summary>
    public int ReadTextFrame()
    {
        _pipe.Writer.Write(_maskedFrame);
        return Read();
    }

    /// <summary>A 100-byte message in three fragments, written at once.</summary>
    public int ReadFragmentedMessage()
    {
        foreach (var fragment in _maskedFragments)
        {
            _pipe.Writer.Write(fragment);
        }

        return Read();
    }

    /// <summary>One broadcast: a new message (as ConnectionManager.BroadcastAsync makes) queued to every connection.</summary>
    public int QueueToAll()
    {
        var message = OutboundMessage.FromBytes(_payload);
        var queued = 0;
        foreach (var connection in _connections)
        {
            if (connection.TrySend(message) == SendStatus.Queued)
            {
                queued++;
            }
        }

        _drainTarget += (long)queued * (_payload.Length + 2);
        return queued;
    }

    /// <summary>Waits until every connection's pump has written what <see cref="QueueToAll"/> queued.</summary>
    public void WaitForDrain()
    {
        var spinner = default(SpinWait);
        while (_sink.Written < _drainTarget)
        {
            spinner.SpinOnce();
        }
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        _eventWriter.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    private int WriteEvent(RouteEvent routeEvent)
    {
        _eventBuffer.ResetWrittenCount();
        _eventWriter.Reset(_eventBuffer);
        ProxyEventWriter.Write(_eventWriter, routeEvent);
        _eventWriter.Flush();
        return _eventBuffer.WrittenCount;
    }

    private int Read()
    {
        var flush = _pipe.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            throw new InvalidOperationException("The pipe should not apply back pressure here");
        }

        var read = _frameReader.ReadAsync(CancellationToken.None);
        if (!read.IsCompleted)
        {
            throw new InvalidOperationException("A whole frame was buffered; the read should complete synchronously");
        }

        var frame = read.Result;
        return frame.Kind == InboundFrameKind.Text ? frame.Payload!.Length : throw new InvalidOperationException($"Unexpected {frame.Kind}");
    }

    private static byte[] Masked(byte firstByte, ReadOnlySpan<byte> payload)
    {
        const uint mask = 0x5A3C9E17;
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = firstByte;
        frame[1] = (byte)(0x80 | payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(2), mask);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ (byte)(mask >> (8 * (i & 3))));
        }

        return frame;
    }

    /// <summary>A meter factory without DI, for <see cref="SwitchboardMetrics"/>.</summary>
    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    /// <summary>A stream that completes every write at once and counts the bytes: the socket of the fan-out connections.</summary>
    private sealed class CountingStream : Stream
    {
        private long _written;

        public long Written => Interlocked.Read(ref _written);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _written, buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Interlocked.Add(ref _written, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
