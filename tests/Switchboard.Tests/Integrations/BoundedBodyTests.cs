using Switchboard.Integrations.Http;

namespace Switchboard.Tests.Integrations;

/// <summary>A backend's answer is read up to a limit whether or not it declares its length.</summary>
public sealed class BoundedBodyTests
{
    private const int Limit = 64 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Limit - 1)]
    [InlineData(Limit)]
    public async Task UndeclaredLengthUpToTheLimit_IsReadWhole(int length)
    {
        using var content = new StreamContent(new EndlessStream(length));
        var body = await BoundedBody.ReadAsync(content, Limit, CancellationToken.None);
        Assert.NotNull(body);
        Assert.Equal(length, body.Length);
        Assert.All(body, b => Assert.Equal((byte)'x', b));
    }

    [Fact]
    public async Task AnEndlessBody_IsCutJustPastTheLimit()
    {
        var stream = new EndlessStream(long.MaxValue);
        using var content = new StreamContent(stream);
        Assert.Null(await BoundedBody.ReadAsync(content, Limit, CancellationToken.None));
        Assert.InRange(stream.Served, Limit + 1, Limit * 3L);
    }

    [Fact]
    public async Task ADeclaredLengthOverTheLimit_IsRefusedWithoutReading()
    {
        var stream = new EndlessStream(Limit + 1);
        using var content = new StreamContent(stream);
        content.Headers.ContentLength = Limit + 1;
        Assert.Null(await BoundedBody.ReadAsync(content, Limit, CancellationToken.None));
        Assert.Equal(0, stream.Served);
    }

    /// <summary>A non-seekable stream of <c>x</c> bytes of a given length, like a chunked answer: its length is unknown up front.</summary>
    private sealed class EndlessStream(long length) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var served = (int)Math.Min(Math.Min(count, 8192), length - Served);
            buffer.AsSpan(offset, served).Fill((byte)'x');
            Served += served;
            return served;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
