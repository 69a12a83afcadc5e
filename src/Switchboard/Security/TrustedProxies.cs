using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Switchboard.Security;

/// <summary>
/// Who the client is behind proxies the gateway trusts (<c>Switchboard:Security:TrustedProxies</c>), with the
/// semantics of ASP.NET Core's <c>ForwardedHeadersMiddleware</c>: starting from the TCP peer, as long as the current
/// address is a trusted proxy, the next entry from the right of <c>X-Forwarded-For</c> becomes the client, with the
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Port</c> entries at the same distance from the right (a header with
/// fewer entries leaves the value as it was). The first address that is not a trusted proxy is the client; an entry
/// that is not an address, scheme or port stops the walk there. Shared by both handshake paths and the management API,
/// so that one address means one client everywhere.
/// </summary>
/// <remarks>
/// Without trusted proxies the headers are ignored, whatever they say: anyone can send them. An application that runs
/// ASP.NET Core's forwarded-headers middleware itself configures its proxies there or here, not in both.
/// </remarks>
internal sealed class TrustedProxies
{
    public const string ForwardedForHeader = "X-Forwarded-For";
    public const string ForwardedProtoHeader = "X-Forwarded-Proto";
    public const string ForwardedPortHeader = "X-Forwarded-Port";

    private readonly IPNetwork[] _networks;

    public TrustedProxies(IEnumerable<string> proxies) =>
        _networks = proxies.Select(proxy => TryParse(proxy, out var network) ? network : throw new ArgumentException($"'{proxy}' is not an address or network", nameof(proxies))).ToArray();

    /// <summary>True when no proxy is trusted: the peer is always the client.</summary>
    public bool IsEmpty => _networks.Length == 0;

    /// <summary>An address (<c>10.0.0.5</c>) or a network in CIDR notation (<c>10.0.0.0/8</c>, no host bits set).</summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            address = Normalize(address);
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        // "10.0.0.1/8" is refused rather than read as 10.0.0.0/8: one of the two numbers is a mistake.
        return IPNetwork.TryParse(text, out network)
            && IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written)
            && written.Equals(network.BaseAddress);
    }

    public bool IsTrusted(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The client of a handshake or a management call.</summary>
    public ClientEndpoint Resolve(IPAddress? peer, IHeaderDictionary headers, string scheme, int port)
    {
        var client = new ClientEndpoint(peer is null ? null : Normalize(peer), scheme, port);
        if (!IsTrusted(client.Address) || !headers.TryGetValue(ForwardedForHeader, out var forwardedFor))
        {
            return client;
        }

        var addresses = Entries(forwardedFor);
        var schemes = Entries(headers[ForwardedProtoHeader]);
        var ports = Entries(headers[ForwardedPortHeader]);
        for (var hop = 1; hop <= addresses.Count && IsTrusted(client.Address); hop++)
        {
            if (!TryParseForwardedAddress(addresses[^hop], out var address))
            {
                break;
            }

            var hopScheme = client.Scheme;
            if (hop <= schemes.Count && !TryParseScheme(schemes[^hop], out hopScheme))
            {
                break;
            }

            var hopPort = client.Port;
            if (hop <= ports.Count && !TryParsePort(ports[^hop], out hopPort))
            {
                break;
            }

            client = new ClientEndpoint(address, hopScheme, hopPort);
        }

        return client;
    }

    /// <summary>The client of a request that came through the HTTP pipeline.</summary>
    public ClientEndpoint Resolve(HttpContext context) =>
        Resolve(context.Connection.RemoteIpAddress, context.Request.Headers, context.Request.Scheme, context.Connection.LocalPort);

    /// <summary>IPv4 peers of a dual-stack socket arrive as IPv4-mapped IPv6 addresses; networks are written in IPv4.</summary>
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Every comma-separated entry of every line of a header, trimmed.</summary>
    private static List<string> Entries(StringValues values)
    {
        var entries = new List<string>();
        foreach (var value in values)
        {
            foreach (var entry in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>
    /// An address as proxies write it: <c>203.0.113.9</c>, <c>2001:db8::1</c>, <c>[2001:db8::1]</c>, optionally with a
    /// port. IPv4 only in its dotted form: the parser's other forms (<c>443</c> is 0.0.1.187, <c>127.1</c>, hex) are
    /// not addresses a proxy writes, so such an entry stops the walk instead of becoming a made-up client.
    /// </summary>
    private static bool TryParseForwardedAddress(string entry, out IPAddress address)
    {
        if (IPEndPoint.TryParse(entry, out var endpoint)
            && (endpoint.Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
                || entry.AsSpan(0, entry.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? colon : entry.Length).SequenceEqual(endpoint.Address.ToString())))
        {
            address = Normalize(endpoint.Address);
            return true;
        }

        address = IPAddress.None;
        return false;
    }

    private static bool TryParseScheme(string entry, out string scheme)
    {
        scheme = entry.Equals("https", StringComparison.OrdinalIgnoreCase) ? "https" : entry.Equals("http", StringComparison.OrdinalIgnoreCase) ? "http" : "";
        return scheme.Length > 0;
    }

    private static bool TryParsePort(string entry, out int port) =>
        int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
