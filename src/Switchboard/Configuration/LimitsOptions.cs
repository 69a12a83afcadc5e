namespace Switchboard.Configuration;

/// <summary>Limits and lifetimes. Defaults are API Gateway's quotas.</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest message a client may send, in bytes (API Gateway: 128 KB). Larger closes the connection with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 128 * 1024;

    /// <summary>Largest single frame a client may send, in bytes (API Gateway: 32 KB). Larger closes the connection with 1009.</summary>
    public int MaxFrameBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Frames one message may be split into (its first frame and continuations). More closes the connection with 1009:
    /// without a bound, a client can keep one message open with millions of empty continuation frames. The default
    /// carries a message of <see cref="MaxMessageBytes"/> in frames of 128 bytes; browsers send every message in one frame.
    /// </summary>
    public int MaxFramesPerMessage { get; set; } = 1024;

    /// <summary>Largest <c>PostToConnection</c> / broadcast payload, in bytes (API Gateway: 131072). Larger answers 413.</summary>
    public int MaxPostBytes { get; set; } = 128 * 1024;

    /// <summary>
    /// WebSocket connections this node holds at most; further handshakes are answered 503. 0 (the default) derives it
    /// from the process's open-file limit (<c>ulimit -n</c>), keeping room for the process's own files, HTTP
    /// integrations and management calls (see docs/security.md), and from the memory the GC may use, at 16 KB each
    /// after 32 MB for the process and <see cref="MaxQueuedBytesPerNode"/> (see docs/reliability.md); whichever is lower. Kestrel then accepts at most this
    /// many sockets plus a 1/32 share (at least 32) for other requests.
    /// </summary>
    public int MaxConnections { get; set; }

    /// <summary>
    /// Connections the HTTP integration client opens to one backend server (scheme, host and port) at most; further
    /// integration calls wait for one of them (within the route's timeout). Each is an open file kept out of
    /// <see cref="MaxConnections"/>.
    /// </summary>
    public int MaxIntegrationConnectionsPerBackend { get; set; } = 128;

    /// <summary>A connection with no data frame in either direction for this long is closed with 1001 (API Gateway: 10 minutes).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A connection is closed with 1001 once it is this old (API Gateway: 2 hours).</summary>
    public TimeSpan MaxConnectionDuration { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Default time an integration may take before the client gets "Endpoint request timed out" (API Gateway: 29 s).</summary>
    public TimeSpan IntegrationTimeout { get; set; } = TimeSpan.FromSeconds(29);

    /// <summary>
    /// Messages that may wait in one connection's outbound queue. When it is full, <c>PostToConnection</c>
    /// answers 429 (LimitExceededException, as API Gateway does when its client buffer is full) and a broadcast skips that client.
    /// </summary>
    public int MaxQueuedMessagesPerConnection { get; set; } = 1024;

    /// <summary>
    /// Bytes of frames that may wait in one connection's outbound queue (default 1 MiB). At the bound the same happens as
    /// at <see cref="MaxQueuedMessagesPerConnection"/>: <c>PostToConnection</c> answers 429, broadcasts, two-way replies and
    /// error frames are dropped for that client. A single message larger than the bound is still queued when nothing
    /// else waits, so every message up to <see cref="MaxPostBytes"/> can be delivered to a client that reads.
    /// </summary>
    public int MaxQueuedBytesPerConnection { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes that may wait in all outbound queues of this node together (frames, their payloads and the queue entries;
    /// a broadcast's frame counts once, however many queues hold it), up to when each is handed to the transport. A send
    /// that would go beyond it is refused as at a full connection queue: <c>PostToConnection</c> answers 429, a broadcast
    /// skips the client and counts a drop. 0 (the default) derives it: a quarter of the memory the GC may use
    /// (<c>GCMemoryInfo.TotalAvailableMemoryBytes</c>, which honours <c>DOTNET_GCHeapHardLimit</c> and a container's
    /// memory limit), so that <c>MaxQueuedBytesPerConnection</c> × many slow clients cannot exhaust the heap.
    /// </summary>
    public long MaxQueuedBytesPerNode { get; set; }

    /// <summary>
    /// A client that had a message dropped at its queue's bound (or that sends pings faster than it reads their pongs)
    /// and has not caught up with its queue within this time is closed with 1008 "Client is not reading": it is not
    /// reading what the gateway sends it, and its queue would otherwise hold memory for as long as it stays connected.
    /// </summary>
    public TimeSpan SlowClientTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Messages of one connection whose integrations may run at once. Messages are dispatched in arrival order
    /// and may complete in any order, as on API Gateway; when this many are running, the gateway stops reading
    /// from that client until one completes.
    /// </summary>
    public int MaxInFlightMessagesPerConnection { get; set; } = 16;

    /// <summary>Interval of protocol-level pings that detect dead peers; zero disables them. Pings do not count as activity.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the gateway waits for a peer's close frame (or a ping's pong) before it drops the TCP connection.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a graceful shutdown waits for connections to close and <c>$disconnect</c> to run.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long after a node's loss is found an undelivered <c>$disconnect</c> for one of its connections is still retried
    /// (with backoff from 1 s to 1 min); after it, the <c>$disconnect</c> is given up (log event 74) and leaves the outbox.
    /// </summary>
    public TimeSpan LostDisconnectRetryWindow { get; set; } = TimeSpan.FromMinutes(10);
}
