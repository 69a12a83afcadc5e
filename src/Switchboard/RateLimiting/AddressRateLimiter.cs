using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Switchboard.Configuration;

namespace Switchboard.RateLimiting;

/// <summary>
/// One token bucket per client address, in a table bounded in memory: an address is forgotten as soon as its bucket is
/// full again (a full bucket is the same as a new one, so nothing is lost), and while <c>maxAddresses</c> are
/// remembered, unknown addresses are refused rather than added. IPv6 addresses count by their /64 network, the
/// smallest block one subscriber is usually given, so one host cannot rotate through its own addresses.
/// </summary>
/// <remarks>Thread-safe. Buckets are refilled by <see cref="Replenish"/>, which the owner calls once a second.</remarks>
internal sealed class AddressRateLimiter(TokenBucketOptions bucket, int maxAddresses) : IDisposable
{
    private readonly ConcurrentDictionary<IPAddress, TokenBucket> _buckets = new();
    private int _count;

    /// <summary>Addresses remembered now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>False when the address has used up its bucket, or when the table is full and the address is not in it.</summary>
    public bool TryAcquire(IPAddress address, out bool tableFull)
    {
        tableFull = false;
        var key = KeyOf(address);
        if (!_buckets.TryGetValue(key, out var limiter))
        {
            if (Interlocked.Increment(ref _count) > maxAddresses)
            {
                Interlocked.Decrement(ref _count);
                tableFull = true;
                return false;
            }

            var created = GatewayRateLimits.NewBucket(bucket);
            limiter = _buckets.GetOrAdd(key, created);
            if (!ReferenceEquals(limiter, created))
            {
                // Another handshake from the same address added it first.
                Interlocked.Decrement(ref _count);
                created.Dispose();
            }
        }

        return GatewayRateLimits.TryTake(limiter);
    }

    /// <summary>Adds a second's tokens to every bucket and forgets the addresses whose bucket is full.</summary>
    public void Replenish()
    {
        foreach (var entry in _buckets)
        {
            entry.Value.TryReplenish();
            // A handshake that took the bucket just before it is removed spends a token of a forgotten bucket: at worst
            // one extra handshake for that address, never more memory.
            if (entry.Value.IsFull && _buckets.TryRemove(entry))
            {
                Interlocked.Decrement(ref _count);
                entry.Value.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var entry in _buckets)
        {
            entry.Value.Dispose();
        }
    }

    private static IPAddress KeyOf(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.IsIPv4MappedToIPv6)
        {
            return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
