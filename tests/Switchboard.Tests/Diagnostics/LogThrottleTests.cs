using Microsoft.Extensions.Time.Testing;
using Switchboard.Diagnostics;

namespace Switchboard.Tests.Diagnostics;

public sealed class LogThrottleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    [Fact]
    public void AFlood_IsLoggedOncePerInterval_WithTheNumberSkipped()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle(time, Interval);

        Assert.True(throttle.TryEnter(out var suppressed));
        Assert.Equal(0, suppressed);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(throttle.TryEnter(out _));
        }

        time.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.False(throttle.TryEnter(out _));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(throttle.TryEnter(out suppressed));
        Assert.Equal(1001, suppressed);
    }

    [Fact]
    public void OccurrencesFurtherApartThanTheInterval_AreAllLogged()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle(time, Interval);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryEnter(out var suppressed));
            Assert.Equal(0, suppressed);
            time.Advance(Interval);
        }
    }

    [Fact]
    public void StepsOfTheWallClock_NeitherSilenceNorReleaseLines()
    {
        var elapsed = new FakeTimeProvider();
        var time = new WallSteppedTime(elapsed);
        var throttle = new LogThrottle(time, Interval);
        Assert.True(throttle.TryEnter(out _));

        time.Step = TimeSpan.FromHours(1);
        Assert.False(throttle.TryEnter(out _));

        time.Step = TimeSpan.FromHours(-1);
        elapsed.Advance(Interval);
        Assert.True(throttle.TryEnter(out var suppressed));
        Assert.Equal(1, suppressed);
    }

    /// <summary>Wall time stepped by <see cref="Step"/>; timestamps (elapsed time) from <paramref name="elapsed"/>.</summary>
    private sealed class WallSteppedTime(FakeTimeProvider elapsed) : TimeProvider
    {
        public TimeSpan Step { get; set; }

        public override DateTimeOffset GetUtcNow() => elapsed.GetUtcNow() + Step;

        public override long GetTimestamp() => elapsed.GetTimestamp();

        public override long TimestampFrequency => elapsed.TimestampFrequency;
    }
}
