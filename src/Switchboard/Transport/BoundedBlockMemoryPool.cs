using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Switchboard.Transport;

/// <summary>
/// The buffers of Kestrel's socket transport: 4 KB blocks, of which at most a fixed number are kept for reuse once
/// returned; the rest are left to the GC. Kestrel's own pool keeps every block it ever lent and gives back about 1 %
/// every 10 s while there is traffic, so after N connections received or sent at the same moment (a broadcast, every
/// client answering at once) it holds up to N blocks — 4 KB per connection — long after. Here the pool never holds
/// more than its bound, whatever the peak was.
/// </summary>
/// <remarks>
/// The blocks are ordinary arrays: on Linux the socket layer touches a buffer only inside the system call, so nothing
/// needs pinned memory, and a block beyond the bound dies young in generation 0.
/// </remarks>
internal sealed class BoundedBlockMemoryPool(int retainedBlocks) : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks kept for reuse right now.</summary>
    public int IdleBlocks => Volatile.Read(ref _idleCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        _idle.Clear();
        Volatile.Write(ref _idleCount, 0);
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _idleCount) <= retainedBlocks)
        {
            _idle.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }

    private sealed class Block(BoundedBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = new byte[BlockSize];

        public void Dispose() => pool.Return(this);
    }
}

/// <summary>Gives Kestrel's transports <see cref="BoundedBlockMemoryPool"/>s.</summary>
internal sealed class BoundedBlockMemoryPoolFactory(int retainedBlocks) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new BoundedBlockMemoryPool(retainedBlocks);
}
