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
}
