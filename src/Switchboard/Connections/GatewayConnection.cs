using System.Buffers;
using Switchboard.Diagnostics;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// One open client connection on this node: its identity, its outbound queue and the single writer that
/// drains it. Any thread may send; frames are written in the order they were queued.
/// </summary>
/// <remarks>
/// The writer ("pump") runs only while there is something to write and holds a buffer only then, so an
/// idle connection costs no queue, no buffer and no pending task, however busy it was before. Queued frames are
/// coalesced into one write.
/// </remarks>
internal sealed class GatewayConnection : IThreadPoolWorkItem, IDisposable
{
    private const int CoalesceBufferBytes = 16 * 1024;

    /// <summary>Every keep-alive ping is the same frame (no payload), encoded once.</summary>
    private static readonly OutboundMessage KeepAlivePing = OutboundMessage.Control(WebSocketOpcode.Ping, ReadOnlyMemory<byte>.Empty);

    // Set by Start, once the handshake's answer is written; until then the writer is held back.
    private Stream? _stream;
    // Queued messages, newest first: producers push with one CAS, the pump takes the whole stack at once. A node per
    // queued message instead of a queue with segments: a connection holds nothing for its outbound side while it has
    // nothing to send, however busy it was before.
    private Pending? _pending;
    private readonly int _maxQueuedMessages;
    private readonly SwitchboardMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _closeTimeout;
    // Null in micro-benchmarks, which have no transport to abort.
    private readonly WebSocketUpgrade? _transport;
    // Created when first needed: most connections never close from the server side, and idle ones should not pay for it.
    private TaskCompletionSource? _closeSent;
    private int _queuedMessages;
    private int _pumping;
    private int _closing;
    private bool _closeWritten;
    private long _lastActiveMs;
    private long _lastReceivedMs;
    private long _pingSentMs;
    private ITimer? _closeTimer;

    public GatewayConnection(
        string id,
        DateTimeOffset connectedAt,
        string sourceIp,
        string? userAgent,
        WebSocketUpgrade? transport,
        int maxQueuedMessages,
        TimeSpan closeTimeout,
        TimeProvider time,
        SwitchboardMetrics metrics)
    {
        Id = id;
        ConnectedAt = connectedAt;
        SourceIp = sourceIp;
        UserAgent = userAgent;
        _transport = transport;
        // No writer until Start: messages queued before the 101 is written wait for it.
        _pumping = 1;
        _maxQueuedMessages = maxQueuedMessages;
        _closeTimeout = closeTimeout;
        _time = time;
        _metrics = metrics;
        _lastActiveMs = _lastReceivedMs = connectedAt.ToUnixTimeMilliseconds();
    }

    public string Id { get; }

    public DateTimeOffset ConnectedAt { get; }

    public string SourceIp { get; }

    public string? UserAgent { get; }

    /// <summary>When a data frame last crossed the connection, in either direction.</summary>
    public DateTimeOffset LastActiveAt => DateTimeOffset.FromUnixTimeMilliseconds(Volatile.Read(ref _lastActiveMs));

    /// <summary>The last activity already written to the registry (owned by the lifetime monitor).</summary>
    public long LastFlushedActiveMs { get; set; }

    internal long LastActiveMs => Volatile.Read(ref _lastActiveMs);

    internal long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    internal long PingSentMs => Volatile.Read(ref _pingSentMs);

    /// <summary>Set when the gateway started the close; null when the client did or the transport failed.</summary>
    public ServerClose? ServerClose { get; private set; }

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Completes when the close frame has been written (or writing became impossible).</summary>
    public Task CloseSent => CloseSentSource.Task;

    private TaskCompletionSource CloseSentSource
    {
        get
        {
            var source = Volatile.Read(ref _closeSent);
            if (source is null)
            {
                Interlocked.CompareExchange(ref _closeSent, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
                source = _closeSent!;
            }

            return source;
        }
    }

    /// <summary>
    /// Lets the writer run, on <paramref name="output"/>, once the handshake's answer is written. The connection is
    /// in the local table (and so reachable by management calls) before that, so that a client that has its 101 is
    /// never answered 410; whatever was queued meanwhile is written right after the 101.
    /// </summary>
    public void Start(Stream output)
    {
        _stream = output;
        ReleaseWriter();
    }

    /// <summary>Hands a message to the outbound queue.</summary>
    /// <param name="message">The message.</param>
    /// <param name="writeNow">
    /// When the connection's writer is idle, start writing on the calling thread instead of scheduling the writer on the
    /// thread pool: one hop less for a message to one recipient. Broadcasts leave it false so that their writes spread
    /// over the pool's threads instead of running one after another on the caller's.
    /// </param>
    public SendStatus TrySend(OutboundMessage message, bool writeNow = false)
    {
        if (IsClosing)
        {
            return SendStatus.Gone;
        }

        if (Interlocked.Increment(ref _queuedMessages) > _maxQueuedMessages)
        {
            Interlocked.Decrement(ref _queuedMessages);
            return SendStatus.QueueFull;
        }

        Push(message, writeNow);
        return SendStatus.Queued;
    }

    /// <summary>Notes a frame from the client; data frames also count as activity.</summary>
    public void OnReceived(bool isData)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Volatile.Write(ref _lastReceivedMs, now);
        Volatile.Write(ref _pingSentMs, 0);
        if (isData)
        {
            Volatile.Write(ref _lastActiveMs, now);
        }
    }

    /// <summary>Queues a pong; control frames bypass the queue limit.</summary>
    public void SendPong(byte[] payload) => EnqueueControl(OutboundMessage.Control(WebSocketOpcode.Pong, payload));

    /// <summary>
    /// Queues a keep-alive ping, written on the calling thread (the lifetime sweep) when the writer is idle: a sweep
    /// pings every idle connection at once, and thousands of thread-pool work items at that moment grow the pool's
    /// queues and threads for good.
    /// </summary>
    public void SendPing()
    {
        Volatile.Write(ref _pingSentMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        EnqueueControl(KeepAlivePing, writeNow: true);
    }

    /// <summary>
    /// Starts the closing handshake: messages already queued are written first, then the close frame. If the
    /// peer has not finished the handshake within the close timeout, the connection is aborted.
    /// Returns false when the connection was already closing.
    /// </summary>
    public bool TryBeginClose(ServerClose close) => BeginClose(close, close.Code, close.FrameReason);

    /// <summary>Answers the client's close frame with the same code (RFC 6455 section 5.5.1).</summary>
    public bool TryEchoClose(int code) => BeginClose(null, code, "");

    /// <summary>Ends the connection at once: aborts the transport, which ends the read loop.</summary>
    public void Abort()
    {
        _transport?.Abort();
        CloseSentSource.TrySetResult();
    }

    /// <summary>Marks the connection as over: nothing more can be queued to it.</summary>
    public void MarkEnded() => Interlocked.Exchange(ref _closing, 1);

    /// <summary>Releases timers; call after the connection has ended.</summary>
    public void Release()
    {
        _closeTimer?.Dispose();
        CloseSentSource.TrySetResult();
    }

    /// <inheritdoc />
    public void Dispose() => Release();

    private bool BeginClose(ServerClose? close, int code, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        ServerClose = close;
        _closeTimer = _time.CreateTimer(static state => ((GatewayConnection)state!).Abort(), this, _closeTimeout, Timeout.InfiniteTimeSpan);
        EnqueueControl(OutboundMessage.Close(code, reason));
        return true;
    }

    private void EnqueueControl(OutboundMessage message, bool writeNow = false)
    {
        Interlocked.Increment(ref _queuedMessages);
        Push(message, writeNow);
    }

    private void Push(OutboundMessage message, bool writeNow)
    {
        var node = new Pending(message);
        do
        {
            node.Next = Volatile.Read(ref _pending);
        }
        while (Interlocked.CompareExchange(ref _pending, node, node.Next) != node.Next);

        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            if (writeNow)
            {
                // Runs until its first write that cannot complete at once, then continues on the pool.
                _ = PumpAsync();
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
    }

    /// <summary>Takes every queued message, oldest first (the stack reversed in place).</summary>
    private Pending? TakeAll()
    {
        Pending? oldestFirst = null;
        for (var node = Interlocked.Exchange(ref _pending, null); node is not null;)
        {
            var next = node.Next;
            node.Next = oldestFirst;
            oldestFirst = node;
            node = next;
        }

        return oldestFirst;
    }

    void IThreadPoolWorkItem.Execute() => _ = PumpAsync();

    private async Task PumpAsync()
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                var used = 0;
                for (var node = TakeAll(); node is not null; node = node.Next)
                {
                    var message = node.Message;
                    Interlocked.Decrement(ref _queuedMessages);
                    if (_closeWritten)
                    {
                        continue;
                    }

                    var frame = message.Frame;
                    if (used == 0 && (node.Next is null || frame.Length > CoalesceBufferBytes))
                    {
                        // One message at a time (the common case): write the shared frame as it is, no copy, no buffer.
                        // The transport flushes on every write.
                        await _stream!.WriteAsync(frame).ConfigureAwait(false);
                        CountWritten(message);
                        continue;
                    }

                    buffer ??= ArrayPool<byte>.Shared.Rent(CoalesceBufferBytes);
                    if (frame.Length > buffer.Length - used)
                    {
                        await _stream!.WriteAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                        used = 0;
                        if (frame.Length > buffer.Length)
                        {
                            await _stream!.WriteAsync(frame).ConfigureAwait(false);
                            CountWritten(message);
                            continue;
                        }
                    }

                    frame.CopyTo(buffer, used);
                    used += frame.Length;
                    CountWritten(message);
                }

                if (used > 0)
                {
                    await _stream!.WriteAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                }

                if (_closeWritten)
                {
                    CloseSentSource.TrySetResult();
                }

                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }

                if (!TryKeepWriting())
                {
                    return;
                }
            }
        }
#pragma warning disable CA1031 // The transport failing is how a dead peer shows itself; the reader loop reports it.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Leave _pumping set so nothing schedules another writer on a broken stream.
            Interlocked.Exchange(ref _closing, 1);
            Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Gives up the writer role; takes it back (true) when something was queued meanwhile.</summary>
    private bool TryKeepWriting()
    {
        Volatile.Write(ref _pumping, 0);
        return Volatile.Read(ref _pending) is not null && Interlocked.CompareExchange(ref _pumping, 1, 0) == 0;
    }

    private void ReleaseWriter()
    {
        if (TryKeepWriting())
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void CountWritten(OutboundMessage message)
    {
        if (message.Opcode == WebSocketOpcode.Close)
        {
            _closeWritten = true;
        }
        else if (message.IsData)
        {
            Volatile.Write(ref _lastActiveMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
            _metrics.MessageOut();
        }
    }

    /// <summary>One queued message.</summary>
    private sealed class Pending(OutboundMessage message)
    {
        public OutboundMessage Message { get; } = message;

        public Pending? Next { get; set; }
    }
}
