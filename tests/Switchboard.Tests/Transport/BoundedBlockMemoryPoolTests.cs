using Switchboard.Transport;

namespace Switchboard.Tests.Transport;

public sealed class BoundedBlockMemoryPoolTests
{
    [Fact]
    public void ReturnedBlocks_AreReused()
    {
        using var pool = new BoundedBlockMemoryPool(retainedBlocks: 4);
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();

        using var second = pool.Rent();

        Assert.True(second.Memory.Span == memory.Span, "the returned block was lent again");
        Assert.Equal(0, pool.IdleBlocks);
    }

    [Fact]
    public void AfterAPeak_ThePoolKeepsNoMoreThanItsBound()
    {
        using var pool = new BoundedBlockMemoryPool(retainedBlocks: 3);
        var lent = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        Assert.Equal(10, lent.Select(owner => owner.Memory).Distinct().Count());

        lent.ForEach(owner => owner.Dispose());

        Assert.Equal(3, pool.IdleBlocks);
        var again = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();
        Assert.Equal(3, again.Count(owner => lent.Take(3).Any(old => old.Memory.Span == owner.Memory.Span)));
        Assert.Equal(0, pool.IdleBlocks);
    }

    [Fact]
    public void Blocks_AreKestrelsSize_AndLargerRequestsAreRefused()
    {
        using var pool = new BoundedBlockMemoryPool(retainedBlocks: 1);

        Assert.Equal(4096, pool.MaxBufferSize);
        using (var block = pool.Rent(100))
        {
            Assert.Equal(4096, block.Memory.Length);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
    }
}
