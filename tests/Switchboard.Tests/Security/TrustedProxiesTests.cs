using System.Net;
using Microsoft.AspNetCore.Http;
using Switchboard.Security;

namespace Switchboard.Tests.Security;

public sealed class TrustedProxiesTests
{
    private static readonly IPAddress Proxy = IPAddress.Parse("10.0.0.5");

    private static ClientEndpoint Resolve(TrustedProxies proxies, IPAddress peer, string? forwardedFor, string? proto = null, string? port = null)
    {
        var headers = new HeaderDictionary();
        if (forwardedFor is not null)
        {
            headers["X-Forwarded-For"] = forwardedFor;
        }

        if (proto is not null)
        {
            headers["X-Forwarded-Proto"] = proto;
        }

        if (port is not null)
        {
            headers["X-Forwarded-Port"] = port;
        }

        return proxies.Resolve(peer, headers, "http", 8080);
    }

    [Fact]
    public void WithoutTrustedProxies_HeadersAreIgnored()
    {
        var client = Resolve(new TrustedProxies([]), Proxy, "203.0.113.9", "https", "443");

        Assert.Equal(new ClientEndpoint(Proxy, "http", 8080), client);
    }

    [Fact]
    public void FromAnUntrustedPeer_HeadersAreIgnored()
    {
        var client = Resolve(new TrustedProxies(["10.0.0.0/24"]), IPAddress.Parse("192.0.2.1"), "203.0.113.9", "https", "443");

        Assert.Equal(new ClientEndpoint(IPAddress.Parse("192.0.2.1"), "http", 8080), client);
    }

    [Fact]
    public void OneTrustedProxy_ItsRightmostEntryIsTheClient_SpoofedEntriesLeftOfItAreNot()
    {
        // nginx: $proxy_add_x_forwarded_for appends; X-Forwarded-Proto is set, one value.
        var client = Resolve(new TrustedProxies(["10.0.0.5"]), Proxy, "1.2.3.4, 203.0.113.9", "https", "443");

        Assert.Equal(new ClientEndpoint(IPAddress.Parse("203.0.113.9"), "https", 443), client);
    }

    [Fact]
    public void ChainOfTrustedProxies_RightmostUntrustedAddressWins_WithTheSchemeAndPortItUsed()
    {
        var client = Resolve(new TrustedProxies(["10.0.0.0/8"]), Proxy, "198.51.100.1, 203.0.113.9, 10.1.1.1", "https, http", "443, 8080");

        Assert.Equal(new ClientEndpoint(IPAddress.Parse("203.0.113.9"), "https", 443), client);
    }

    [Fact]
    public void AllEntriesTrusted_TheLeftmostIsTheClient()
    {
        var client = Resolve(new TrustedProxies(["10.0.0.0/8"]), Proxy, "10.9.9.9, 10.1.1.1");

        Assert.Equal(IPAddress.Parse("10.9.9.9"), client.Address);
    }

    [Theory]
    [InlineData("not-an-address, 203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9, not-an-address", "10.0.0.5")]
    [InlineData("[2001:db8::1]:4711", "2001:db8::1")]
    [InlineData("203.0.113.9:4711", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9, 443", "10.0.0.5")] // found by the fuzzer: IPAddress.TryParse reads "443" as 0.0.1.187
    [InlineData("203.0.113.9, 127.1", "10.0.0.5")]
    [InlineData("203.0.113.9, 0x7f000001", "10.0.0.5")]
    [InlineData("203.0.113.9, 010.0.0.1", "10.0.0.5")]
    public void EntriesThatAreNotAddresses_StopTheWalk(string forwardedFor, string expected)
    {
        var client = Resolve(new TrustedProxies(["10.0.0.5"]), Proxy, forwardedFor);

        Assert.Equal(IPAddress.Parse(expected), client.Address);
    }

    [Fact]
    public void AnInvalidSchemeOrPort_StopsTheWalk()
    {
        Assert.Equal(Proxy, Resolve(new TrustedProxies(["10.0.0.5"]), Proxy, "203.0.113.9", proto: "gopher").Address);
        Assert.Equal(Proxy, Resolve(new TrustedProxies(["10.0.0.5"]), Proxy, "203.0.113.9", port: "70000").Address);
    }

    [Fact]
    public void IPv4MappedPeer_MatchesAnIPv4Network()
    {
        var client = Resolve(new TrustedProxies(["127.0.0.1"]), IPAddress.Parse("::ffff:127.0.0.1"), "203.0.113.9");

        Assert.Equal(IPAddress.Parse("203.0.113.9"), client.Address);
    }

    [Theory]
    [InlineData("10.0.0.5", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.1/8", false)]
    [InlineData("proxy.internal", false)]
    [InlineData("", false)]
    public void TryParse_TakesAddressesAndNetworks(string text, bool valid) => Assert.Equal(valid, TrustedProxies.TryParse(text, out _));
}
