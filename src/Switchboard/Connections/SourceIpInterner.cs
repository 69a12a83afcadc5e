using System.Net;

namespace Switchboard.Connections;

/// <summary>
/// Client addresses as text, shared between connections. Recently formatted addresses are reused (a small table
/// indexed by hash, replaced on collision), so the many connections that come from one address — a proxy, a NAT, a
/// load generator — share one string instead of each holding its own for their lifetime.
/// </summary>
/// <remarks>Thread-safe without locks: a lost race only formats an address once more.</remarks>
internal sealed class SourceIpInterner
{
    private readonly FormattedAddress?[] _recent = new FormattedAddress?[64];

    /// <summary>The address as API Gateway reports <c>sourceIp</c> (IPv4-mapped addresses as IPv4); "" when unknown.</summary>
    public string Intern(IPAddress? address)
    {
        if (address is null)
        {
            return "";
        }

        var slot = (address.GetHashCode() & int.MaxValue) % _recent.Length;
        if (Volatile.Read(ref _recent[slot]) is { } recent && recent.Address.Equals(address))
        {
            return recent.Text;
        }

        var text = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        Volatile.Write(ref _recent[slot], new FormattedAddress(address, text));
        return text;
    }

    private sealed record FormattedAddress(IPAddress Address, string Text);
}
