using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Switchboard.Protocol;

namespace Switchboard.Tests.Connections;

/// <summary>
/// The socket under a connection's writer, for unit tests: records every write (its bytes, and the array they came
/// from, which tells a shared frame written as it is from a copy); while held, each write waits until released, as on
/// a socket whose peer does not read; and it can be made to fail, as a socket whose peer vanished.
/// </summary>
internal sealed class RecordingStream : Stream
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _written = new();
    private readonly List<RecordedWrite> _writes = [];
    private readonly List<Waiter> _waiters = [];
    private TaskCompletionSource _gate = Completed();
    private Exception? _failure;
    private int _writeAttempts;
    // How far _written has been split into frames, and how many of them were data frames.
    private int _parsedBytes;
    private int _dataFrames;

    private enum Progress
    {
        WritesStarted,
        DataFramesWritten,
    }

    /// <summary>Every this many writes, complete asynchronously (0: never), to vary the writer's path.</summary>
    public int YieldEvery { get; init; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>From now on each write waits (recorded, not completed) until <see cref="Release"/> or <see cref="Fail"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Completes the held writes; later ones complete at once.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _gate.TrySetResult();
        }
    }

    /// <summary>Fails the held writes with <paramref name="failure"/>, and every later write before it is recorded.</summary>
    public void Fail(Exception failure)
    {
        lock (_lock)
        {
            _failure = failure;
            _gate.TrySetException(failure);
        }
    }

    /// <summary>How many writes have been attempted, failed ones included.</summary>
    public int WriteAttempts
    {
        get
        {
            lock (_lock)
            {
                return _writeAttempts;
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> writes have started (been recorded).</summary>
    public Task WriteStarted(int count) => WhenReached(Progress.WritesStarted, count);

    /// <summary>Completes once the bytes written hold <paramref name="count"/> complete text or binary frames.</summary>
    public Task DataFramesWritten(int count) => WhenReached(Progress.DataFramesWritten, count);

    /// <summary>Every write so far, in order: its bytes and the array they were written from.</summary>
    public List<RecordedWrite> Writes()
    {
        lock (_lock)
        {
            return [.. _writes];
        }
    }

    /// <summary>The frames written so far, across writes.</summary>
    public List<(WebSocketOpcode Opcode, string Payload)> Frames()
    {
        lock (_lock)
        {
            return ParseFrames(_written.ToArray());
        }
    }

    /// <summary>
    /// Server frames (unmasked) as opcode and payload: text for data, ping and pong frames, "code reason" for a close.
    /// </summary>
    public static List<(WebSocketOpcode Opcode, string Payload)> ParseFrames(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<(WebSocketOpcode, string)>();
        while (TryReadFrame(bytes, out var opcode, out var payload, out var frameLength))
        {
            frames.Add((opcode, opcode == WebSocketOpcode.Close
                ? $"{BinaryPrimitives.ReadUInt16BigEndian(payload)} {Encoding.UTF8.GetString(payload[2..])}"
                : Encoding.UTF8.GetString(payload)));
            bytes = bytes[frameLength..];
        }

        return frames;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task gate;
        int writes;
        lock (_lock)
        {
            _writeAttempts++;
            if (_failure is not null)
            {
                throw _failure;
            }

            _written.Write(buffer.Span);
            _writes.Add(new RecordedWrite(buffer.ToArray(), MemoryMarshal.TryGetArray(buffer, out var segment) ? segment.Array : null));
            writes = _writes.Count;
            CountFrames();
            SignalWaiters();
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

    private static bool TryReadFrame(ReadOnlySpan<byte> bytes, out WebSocketOpcode opcode, out ReadOnlySpan<byte> payload, out int frameLength)
    {
        opcode = default;
        payload = default;
        frameLength = 0;
        if (bytes.Length < 2)
        {
            return false;
        }

        opcode = (WebSocketOpcode)(bytes[0] & 0x0F);
        long length = bytes[1] & 0x7F;
        var header = 2;
        if (length == 126)
        {
            header = 4;
            length = bytes.Length < header ? long.MaxValue : BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        }
        else if (length == 127)
        {
            header = 10;
            length = bytes.Length < header ? long.MaxValue : (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
        }

        if (bytes.Length - header < length)
        {
            return false;
        }

        payload = bytes.Slice(header, (int)length);
        frameLength = header + (int)length;
        return true;
    }

    private Task WhenReached(Progress what, int count)
    {
        lock (_lock)
        {
            if (Current(what) >= count)
            {
                return Task.CompletedTask;
            }

            var waiter = new Waiter(what, count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiters.Add(waiter);
            return waiter.Signal.Task;
        }
    }

    private int Current(Progress what) => what == Progress.WritesStarted ? _writes.Count : _dataFrames;

    private void CountFrames()
    {
        var unparsed = _written.GetBuffer().AsSpan(_parsedBytes, (int)_written.Length - _parsedBytes);
        while (TryReadFrame(unparsed, out var opcode, out _, out var frameLength))
        {
            if (opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary)
            {
                _dataFrames++;
            }

            _parsedBytes += frameLength;
            unparsed = unparsed[frameLength..];
        }
    }

    private void SignalWaiters()
    {
        foreach (var waiter in _waiters.Where(w => Current(w.What) >= w.AtLeast).ToList())
        {
            _waiters.Remove(waiter);
            waiter.Signal.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }

    /// <summary>One write: a copy of its bytes, and the array it was given (null when not array-backed).</summary>
    internal sealed record RecordedWrite(byte[] Bytes, byte[]? Source)
    {
        public List<(WebSocketOpcode Opcode, string Payload)> Frames() => ParseFrames(Bytes);
    }

    private sealed record Waiter(Progress What, int AtLeast, TaskCompletionSource Signal);
}
