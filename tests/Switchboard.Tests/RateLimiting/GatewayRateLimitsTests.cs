using System.Net;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.RateLimiting;

namespace Switchboard.Tests.RateLimiting;

/// <summary>The buckets on a fake clock: they refill only when the clock passes a second, never by themselves.</summary>
public sealed class GatewayRateLimitsTests
{
    private readonly FakeTimeProvider _time = new();

    private GatewayRateLimits Create(RateLimitsOptions limits, params string[] routeKeys) =>
        new(new SwitchboardOptions { RateLimits = limits, Routes = routeKeys.Select(key => new RouteDefinition { RouteKey = key }).ToList() }, new LocalConnections(), _time);

    private static TokenBucketOptions Bucket(int perSecond, int burst = 0) => new() { PerSecond = perSecond, Burst = burst };

    [Fact]
    public void TokenBucket_HoldsItsBurst_AndGetsPerSecondAtEachReplenishment_UpToItsSize()
    {
        using var bucket = new TokenBucket(bucketSize: 3, tokensPerReplenishment: 2);

        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => GatewayRateLimits.TryTake(bucket)));
        bucket.TryReplenish();
        Assert.Equal([true, true, false], Enumerable.Range(0, 3).Select(_ => GatewayRateLimits.TryTake(bucket)));
        bucket.TryReplenish();
        bucket.TryReplenish();
        Assert.True(bucket.IsFull);
        Assert.Equal(3, bucket.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public void NodeConnections_AreRefused_UntilTheClockPassesASecond()
    {
        using var limits = Create(new RateLimitsOptions { Connections = Bucket(2) });

        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Loopback));
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.IPv6Loopback));
        Assert.Equal(ConnectionRate.NodeLimited, limits.TryAcceptConnection(IPAddress.Loopback));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(ConnectionRate.NodeLimited, limits.TryAcceptConnection(IPAddress.Loopback));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Loopback));
    }

    [Fact]
    public void PerAddress_OneAddressOverItsLimit_DoesNotUseUpTheNodes()
    {
        using var limits = Create(new RateLimitsOptions { Connections = Bucket(3), ConnectionsPerAddress = Bucket(1) });
        var flooder = IPAddress.Parse("192.0.2.1");

        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(flooder));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(ConnectionRate.AddressLimited, limits.TryAcceptConnection(flooder));
        }

        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("192.0.2.2")));
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("192.0.2.3")));
    }

    [Fact]
    public void PerAddressTable_IsBounded_AndForgetsAddressesOnceTheirBucketIsFull()
    {
        using var limits = Create(new RateLimitsOptions { ConnectionsPerAddress = Bucket(1), MaxTrackedAddresses = 100 });

        // An attacker rotating addresses: each is new, so each gets a bucket, until the table is full.
        var results = Enumerable.Range(0, 1000).Select(i => limits.TryAcceptConnection(new IPAddress([198, 18, (byte)(i >> 8), (byte)i]))).ToList();

        Assert.Equal(100, results.Count(result => result == ConnectionRate.Accepted));
        Assert.Equal(900, results.Count(result => result == ConnectionRate.AddressTableFull));
        Assert.Equal(100, limits.TrackedAddresses);
        // A second later every bucket is full again, the same as a new one, and the table is empty.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, limits.TrackedAddresses);
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void PerAddress_IPv6CountsBySlash64_AndIPv4MappedAsIPv4()
    {
        using var limits = Create(new RateLimitsOptions { ConnectionsPerAddress = Bucket(1) });

        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Equal(ConnectionRate.AddressLimited, limits.TryAcceptConnection(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal(ConnectionRate.Accepted, limits.TryAcceptConnection(IPAddress.Parse("192.0.2.1")));
        Assert.Equal(ConnectionRate.AddressLimited, limits.TryAcceptConnection(IPAddress.Parse("::ffff:192.0.2.1")));
    }

    [Fact]
    public void Routes_HaveABucketEach_AndDisconnectNone()
    {
        using var limits = Create(new RateLimitsOptions { IntegrationCallsPerRoute = Bucket(1) }, "$connect", "$disconnect", "chat");

        Assert.True(limits.TryCallRoute("chat"));
        Assert.False(limits.TryCallRoute("chat"));
        Assert.True(limits.TryCallRoute("$connect"));
        Assert.True(Enumerable.Range(0, 100).All(_ => limits.TryCallRoute("$disconnect")));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limits.TryCallRoute("chat"));
    }

    [Fact]
    public void Management_IsLimited_AndRefilled()
    {
        using var limits = Create(new RateLimitsOptions { ManagementRequests = Bucket(1, burst: 2) });

        Assert.Equal([true, true, false], Enumerable.Range(0, 3).Select(_ => limits.TryAcceptManagementCall()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([true, false], Enumerable.Range(0, 2).Select(_ => limits.TryAcceptManagementCall()));
    }

    [Fact]
    public void Off_AllowsEverything_AndCreatesNoMessageBucket()
    {
        using var limits = Create(new RateLimitsOptions(), "chat");

        Assert.True(Enumerable.Range(0, 10_000).All(_ => limits.TryAcceptConnection(IPAddress.Loopback) == ConnectionRate.Accepted));
        Assert.True(limits.TryAcceptManagementCall());
        Assert.True(limits.TryCallRoute("chat"));
        Assert.Null(limits.NewMessageLimiter());
    }
}
