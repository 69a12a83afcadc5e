using System.Buffers;
using Switchboard.Protocol;

namespace Switchboard.Connections;

// The outbound side of a connection: the lock-free queue (a stack pushed with one CAS, counted in messages and bytes
// for its two bounds), the pong slot beside it, the slow-client clock, and the single writer ("pump") that drains
// them. The type's contract is on its other part, GatewayConnection.cs.
internal sealed partial class GatewayConnection : IThreadPoolWorkItem
{
    private const int CoalesceBufferBytes = 16 * 1024;

    // Set by Start, once the handshake's answer is written; until then the writer is held back.
    private Stream? _stream;
    // Queued messages, newest first: producers push with one CAS, the pump takes the whole stack at once. A node per
    // queued message instead of a queue with segments: a connection holds nothing for its outbound side while it has
    // nothing to send, however busy it was before.
    private Pending? _pending;
    // The pong to write next, outside the queue: at most one waits, whatever the client sends.
    private OutboundMessage? _pendingPong;
    private int _queuedMessages;
    // Bytes of the data frames counted in _queuedMessages.
    private long _queuedBytes;
    // When this connection first dropped something since its writer was last idle; 0 when it has not.
    private long _droppingSinceMs;
    private int _pumping;
    // Set by DiscardQueued once the connection has ended: whatever is still queued, or pushed later, is released unsent.
    private int _discarded;
    // Read and written only by the writer, which the _pumping handover orders.
    private bool _closeWritten;
    // Set by Start: the output is a pipe that another loop drains (TLS, or Kestrel's HTTP layer), not the socket itself.
    private bool _outputIsBuffered;

    /// <summary>True while the writer runs (or, before <see cref="Start"/>, is held back).</summary>
    internal bool IsWriting => Volatile.Read(ref _pumping) != 0;

    /// <summary>
    /// Lets the writer run, on <paramref name="output"/>, once the handshake's answer is written. The connection is
    /// in the local table (and so reachable by management calls) before that, so that a client that has its 101 is
    /// never answered 410; whatever was queued meanwhile is written right after the 101.
    /// </summary>
    public void Start(Stream output)
    {
        _stream = output;
        _outputIsBuffered = output is not Transport.SocketSendStream;
        ReleaseWriter();
    }

    /// <summary>Hands a message to the outbound queue.</summary>
    /// <param name="message">The message.</param>
    /// <param name="writeNow">
    /// When the connection's writer is idle, start writing on the calling thread instead of scheduling the writer on the
    /// thread pool: one hop less for a message to one recipient. Broadcasts leave it false so that their writes spread
    /// over the pool's threads instead of running one after another on the caller's.
    /// </param>
    /// <returns>
    /// <see cref="SendStatus.QueueFull"/> when the queue is at its bound in messages or in bytes, or when the node's
    /// outbound budget (<see cref="OutboundBudget"/>) has no room for it; a message larger than the queue's byte bound is
    /// still queued when nothing else waits.
    /// </returns>
    public SendStatus TrySend(OutboundMessage message, bool writeNow = false)
    {
        if (IsClosing)
        {
            return SendStatus.Gone;
        }

        var frameBytes = message.Frame.Length;
        if (Interlocked.Increment(ref _queuedMessages) > _settings.MaxQueuedMessages)
        {
            Interlocked.Decrement(ref _queuedMessages);
            return Dropped();
        }

        var queuedBytes = Interlocked.Add(ref _queuedBytes, frameBytes);
        if ((queuedBytes > _settings.MaxQueuedBytes && queuedBytes != frameBytes) || !message.TryEnterQueue(_settings.Outbound))
        {
            Interlocked.Add(ref _queuedBytes, -frameBytes);
            Interlocked.Decrement(ref _queuedMessages);
            return Dropped();
        }

        Push(message, writeNow);
        return SendStatus.Queued;
    }

    /// <summary>
    /// Answers a ping. The pong waits outside the queue and replaces one that was not written yet (RFC 6455 section
    /// 5.5.3 lets an endpoint answer only the most recent ping), so a client that pings and never reads holds one pong,
    /// not one per ping; the replacement counts as a drop.
    /// </summary>
    public void SendPong(byte[] payload)
    {
        if (Interlocked.Exchange(ref _pendingPong, OutboundMessage.Control(WebSocketOpcode.Pong, payload)) is not null)
        {
            // The writer has not taken the previous pong yet and will take this one in its place.
            Dropped();
            return;
        }

        ScheduleWriter(writeNow: false);
    }

    /// <summary>
    /// True when the connection dropped a message or a pong at least <paramref name="timeout"/> ago and its writer has not
    /// been idle since: the client is not reading what it is sent. Called by the lifetime sweep, which also forgets a
    /// drop once the writer has caught up.
    /// </summary>
    internal bool IsSlowerThan(long nowMs, TimeSpan timeout)
    {
        var since = Volatile.Read(ref _droppingSinceMs);
        if (since == 0)
        {
            return false;
        }

        if (!IsWriting)
        {
            // Caught up: nothing queued, nothing being written (a drop can be noted just after the writer went idle).
            Interlocked.CompareExchange(ref _droppingSinceMs, 0, since);
            return false;
        }

        return nowMs - since >= (long)timeout.TotalMilliseconds;
    }

    private void EnqueueControl(OutboundMessage message, bool writeNow = false)
    {
        Interlocked.Increment(ref _queuedMessages);
        Push(message, writeNow);
    }

    private SendStatus Dropped()
    {
        if (Volatile.Read(ref _droppingSinceMs) == 0)
        {
            Interlocked.CompareExchange(ref _droppingSinceMs, _settings.Time.GetUtcNow().ToUnixTimeMilliseconds(), 0);
        }

        _settings.Metrics.MessageDropped();
        return SendStatus.QueueFull;
    }

    private void Push(OutboundMessage message, bool writeNow)
    {
        var node = new Pending(message);
        Pending? head;
        do
        {
            head = Volatile.Read(ref _pending);
            node.Next = head;
        }
        // Compared with the head read, not with node.Next: once the CAS has published the node, the writer may take the
        // stack and reverse it in place, which rewrites node.Next; a push that succeeded would then look failed and the
        // node would be pushed twice (written twice, and the writer's walk of its batch sent into the live stack).
        while (Interlocked.CompareExchange(ref _pending, node, head) != head);

        if (Volatile.Read(ref _discarded) != 0)
        {
            // The connection ended while this was being queued (after DiscardQueued took the stack): nothing will write it.
            DiscardQueued();
            return;
        }

        ScheduleWriter(writeNow);
    }

    /// <summary>
    /// Once the connection has ended: releases what its queue still holds from the node's outbound budget. Whatever is
    /// pushed afterwards is released by the pushing thread (each node is taken by exactly one exchange).
    /// </summary>
    internal void DiscardQueued()
    {
        Interlocked.Exchange(ref _discarded, 1);
        for (var node = Interlocked.Exchange(ref _pending, null); node is not null; node = node.Next)
        {
            LeaveBudget(node.Message);
        }
    }

    /// <summary>A data message has been handed to the transport (or will never be): it no longer counts against the node's budget.</summary>
    private void LeaveBudget(OutboundMessage message)
    {
        if (message.IsData)
        {
            message.LeaveQueue(_settings.Outbound);
        }
    }

    /// <summary>Starts the writer unless it runs already (it re-checks for work before it stops).</summary>
    /// <remarks>
    /// A write into a buffered output (a pipe drained by the TLS layer or by Kestrel's HTTP layer) is a copy, cheap on the
    /// calling thread, and the send itself happens in the loop that drains the pipe; so the writer always starts on the
    /// calling thread there. Queued on the pool instead, a broadcast's writers would all run before any of the drain
    /// loops they schedule behind them, and the first recipient would get the message only when the last writer ran
    /// (over TLS at 10,000 connections: broadcast latency twice raw Kestrel's).
    /// </remarks>
    private void ScheduleWriter(bool writeNow)
    {
        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            if (writeNow || _outputIsBuffered)
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

    /// <summary>Takes the pending pong and every queued message, oldest first (the stack reversed in place), pong first.</summary>
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

        // A pong may go ahead of queued data: it is a frame of its own, and data messages are never fragmented.
        return Interlocked.Exchange(ref _pendingPong, null) is { } pong ? new Pending(pong) { Next = oldestFirst } : oldestFirst;
    }

    void IThreadPoolWorkItem.Execute() => _ = PumpAsync();

    private async Task PumpAsync()
    {
        byte[]? buffer = null;
        // The message being written and the rest of its batch: a failed write releases them from the budget.
        Pending? node = null;
        try
        {
            while (true)
            {
                var used = 0;
                for (node = TakeAll(); node is not null; node = node.Next)
                {
                    var message = node.Message;
                    // The pong waits outside the queue's counts.
                    if (message.Opcode != WebSocketOpcode.Pong)
                    {
                        Interlocked.Decrement(ref _queuedMessages);
                        if (message.IsData)
                        {
                            Interlocked.Add(ref _queuedBytes, -message.Frame.Length);
                        }
                    }

                    if (_closeWritten)
                    {
                        LeaveBudget(message);
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
                    // Everything queued is written: the client has caught up with whatever it dropped.
                    if (Volatile.Read(ref _droppingSinceMs) != 0)
                    {
                        Volatile.Write(ref _droppingSinceMs, 0);
                    }

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
            for (; node is not null; node = node.Next)
            {
                LeaveBudget(node.Message);
            }

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
        // A full fence, not a release store: the re-check below must not be ordered before the store that gives up the
        // role (a store-load reordering, allowed on x64 too), or a producer that pushed in between would see the writer
        // still running and leave, and its message would wait for the next one.
        Interlocked.Exchange(ref _pumping, 0);
        return (Volatile.Read(ref _pending) is not null || Volatile.Read(ref _pendingPong) is not null)
            && Interlocked.CompareExchange(ref _pumping, 1, 0) == 0;
    }

    private void ReleaseWriter()
    {
        if (TryKeepWriting())
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>A message has been written (or copied into the batch's buffer).</summary>
    private void CountWritten(OutboundMessage message)
    {
        LeaveBudget(message);
        if (message.Opcode == WebSocketOpcode.Close)
        {
            _closeWritten = true;
        }
        else if (message.IsData)
        {
            Volatile.Write(ref _lastActiveMs, _settings.Time.GetUtcNow().ToUnixTimeMilliseconds());
            _settings.Metrics.MessageOut();
        }
    }

    /// <summary>One queued message.</summary>
    private sealed class Pending(OutboundMessage message)
    {
        public OutboundMessage Message { get; } = message;

        public Pending? Next { get; set; }
    }
}
