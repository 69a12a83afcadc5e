using Switchboard.Protocol;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// One open client connection on this node: its identity, its outbound queue and the single writer that
/// drains it. Any thread may send; frames are written in the order they were queued.
/// </summary>
/// <remarks>
/// <para>The writer ("pump") runs only while there is something to write and holds a buffer only then, so an
/// idle connection costs no queue, no buffer and no pending task, however busy it was before. Queued frames are
/// coalesced into one write.</para>
/// <para>What a client that does not read can make the connection hold is bounded: data frames by count and by bytes
/// (a send over either bound is refused), pongs to at most one (a newer ping's pong replaces an unwritten one, as
/// RFC 6455 section 5.5.3 allows), keep-alive pings and the close frame to one each by the lifetime sweep. A refused
/// message or a replaced pong marks the connection as dropping; the sweep closes a connection that has not caught up
/// with its queue within <see cref="Configuration.LimitsOptions.SlowClientTimeout"/>.</para>
/// <para>This file holds the identity, the activity clocks and the close; the outbound queue and its writer are in
/// GatewayConnection.Outbound.cs.</para>
/// </remarks>
internal sealed partial class GatewayConnection : IDisposable
{
    /// <summary>Every keep-alive ping is the same frame (no payload), encoded once.</summary>
    private static readonly OutboundMessage KeepAlivePing = OutboundMessage.Control(WebSocketOpcode.Ping, ReadOnlyMemory<byte>.Empty);

    private readonly ConnectionSettings _settings;
    // Null in micro-benchmarks, which have no transport to abort.
    private readonly WebSocketUpgrade? _transport;
    // Created when first needed: most connections never close from the server side, and idle ones should not pay for it.
    private TaskCompletionSource? _closeSent;
    private int _closing;
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
        ConnectionSettings settings)
    {
        Id = id;
        ConnectedAt = connectedAt;
        SourceIp = sourceIp;
        UserAgent = userAgent;
        _transport = transport;
        // No writer until Start: messages queued before the 101 is written wait for it.
        _pumping = 1;
        _settings = settings;
        _lastActiveMs = _lastReceivedMs = connectedAt.ToUnixTimeMilliseconds();
    }

    public string Id { get; }

    /// <summary>The connection's message bucket (<c>RateLimits:MessagesPerConnection</c>); null while that limit is off.</summary>
    public RateLimiting.TokenBucket? MessageRate { get; init; }

    public DateTimeOffset ConnectedAt { get; }

    public string SourceIp { get; }

    public string? UserAgent { get; }

    /// <summary>What the <c>$connect</c> authorizer allowed the connection with; repeated on each of its events.</summary>
    public Events.AuthorizerContext? Authorizer { get; init; }

    /// <summary>The link its message and <c>$disconnect</c> spans carry to the handshake's span; null when the handshake was not traced.</summary>
    public System.Diagnostics.ActivityLink[]? HandshakeLink { get; init; }

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

    /// <summary>Notes a frame from the client; data frames also count as activity.</summary>
    public void OnReceived(bool isData)
    {
        var now = _settings.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Volatile.Write(ref _lastReceivedMs, now);
        Volatile.Write(ref _pingSentMs, 0);
        if (isData)
        {
            Volatile.Write(ref _lastActiveMs, now);
        }
    }

    /// <summary>
    /// Queues a keep-alive ping, written on the calling thread (the lifetime sweep) when the writer is idle: a sweep
    /// pings every idle connection at once, and thousands of thread-pool work items at that moment grow the pool's
    /// queues and threads for good.
    /// </summary>
    public void SendPing()
    {
        Volatile.Write(ref _pingSentMs, _settings.Time.GetUtcNow().ToUnixTimeMilliseconds());
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

    /// <summary>Releases timers and what is still queued; call after the connection has ended.</summary>
    public void Release()
    {
        _closeTimer?.Dispose();
        CloseSentSource.TrySetResult();
        DiscardQueued();
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
        _closeTimer = _settings.Time.CreateTimer(static state => ((GatewayConnection)state!).Abort(), this, _settings.CloseTimeout, Timeout.InfiniteTimeSpan);
        EnqueueControl(OutboundMessage.Close(code, reason));
        return true;
    }
}
