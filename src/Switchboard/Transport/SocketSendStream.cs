using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Switchboard.Transport;

/// <summary>
/// A write-only stream that sends straight on a connection's socket, for <see cref="DirectUpgrade"/> connections
/// without TLS. Kestrel's output pipe would copy every frame into a pooled 4 KB block and hand it to its own send
/// loop: one copy and one thread hop per frame per recipient, and after a broadcast to N clients a pool grown by up to
/// N blocks that Kestrel releases only slowly. Sending directly shares one encoded frame between all recipients
/// without copying it, and holds nothing between sends: the send operations come from a pool shared by all
/// connections.
/// </summary>
/// <remarks>One writer at a time (the connection's pump), as the socket requires for ordered sends.</remarks>
internal sealed class SocketSendStream(Socket socket) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sender = SocketSender.Rent();
        try
        {
            await sender.SendAsync(socket, buffer).ConfigureAwait(false);
        }
        finally
        {
            SocketSender.Return(sender);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Writes are asynchronous only.");

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>One reusable send operation; a stream socket's send completes when every byte is handed to the kernel.</summary>
    private sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource
    {
        /// <summary>Idle senders kept for reuse; more are created under load and dropped when returned to a full pool.</summary>
        private const int MaxPooled = 1024;

        private static readonly ConcurrentQueue<SocketSender> Pool = new();
        private static int _pooled;

        private ManualResetValueTaskSourceCore<bool> _completion = new() { RunContinuationsAsynchronously = true };

        private SocketSender()
            : base(unsafeSuppressExecutionContextFlow: true)
        {
        }

        public static SocketSender Rent()
        {
            if (Pool.TryDequeue(out var sender))
            {
                Interlocked.Decrement(ref _pooled);
                return sender;
            }

            return new SocketSender();
        }

        public static void Return(SocketSender sender)
        {
            sender.SetBuffer(Memory<byte>.Empty);
            if (Interlocked.Increment(ref _pooled) <= MaxPooled)
            {
                Pool.Enqueue(sender);
            }
            else
            {
                Interlocked.Decrement(ref _pooled);
                sender.Dispose();
            }
        }

        public ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> buffer)
        {
            _completion.Reset();
            SetBuffer(MemoryMarshal.AsMemory(buffer));
            if (socket.SendAsync(this))
            {
                return new ValueTask(this, _completion.Version);
            }

            return SocketError == SocketError.Success ? ValueTask.CompletedTask : ValueTask.FromException(new SocketException((int)SocketError));
        }

        protected override void OnCompleted(SocketAsyncEventArgs e)
        {
            if (SocketError == SocketError.Success)
            {
                _completion.SetResult(true);
            }
            else
            {
                _completion.SetException(new SocketException((int)SocketError));
            }
        }

        void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _completion.OnCompleted(continuation, state, token, flags);
    }
}
