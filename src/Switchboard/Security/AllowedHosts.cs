using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;

namespace Switchboard.Security;

/// <summary>
/// The <c>Host</c> header values the gateway answers, against DNS rebinding: a page on <c>attacker.example</c> whose
/// name later resolves to this machine still sends <c>Host: attacker.example</c>, and is refused.
/// </summary>
/// <remarks>
/// The list is ASP.NET Core's own: the <c>AllowedHosts</c> key (or <see cref="HostFilteringOptions"/> set in code to
/// something other than <c>*</c>), same syntax and matching (port ignored, <c>*.example.com</c>, <c>*</c> for any).
/// Without one, the hosts Kestrel is bound to plus <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>; a wildcard bind
/// (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>) adds this machine's own addresses and host name, never a name from outside.
/// A request without a Host header (HTTP/1.0) is allowed, as host filtering does: browsers always send one.
/// </remarks>
internal sealed class AllowedHosts
{
    /// <summary>ASP.NET Core's configuration key for host filtering, read by <c>WebApplication</c> too.</summary>
    public const string ConfigurationKey = "AllowedHosts";

    private readonly IServiceProvider _services;
    private readonly string? _domainName;
    private StringSegment[]? _configured;
    private StringSegment[]? _derived;
    // The last domain name worked out, reused while handshakes carry the same Host (almost all do): no work and no
    // string per connection.
    private DomainNameForHost? _lastDomainName;

    public AllowedHosts(IServiceProvider services, IConfiguration configuration, SwitchboardOptions options)
    {
        _services = services;
        _domainName = options.DomainName;
        var fromConfiguration = configuration[ConfigurationKey]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fromConfiguration is { Length: > 0 })
        {
            _configured = [.. fromConfiguration.Select(host => new StringSegment(host))];
        }
        else if (services.GetService<IOptions<HostFilteringOptions>>()?.Value.AllowedHosts is { Count: > 0 } fromCode
            && !(fromCode.Count == 1 && fromCode[0] == "*"))
        {
            _configured = [.. fromCode.Select(host => new StringSegment(host))];
        }
    }

    /// <summary>True when any non-empty Host is accepted (<c>AllowedHosts</c> is <c>*</c>).</summary>
    public bool AllowsAny => _configured is { } configured && configured.Any(pattern => pattern == "*");

    /// <summary>Whether a request with this <c>Host</c> header value (port ignored) may be answered.</summary>
    public bool IsAllowed(StringValues host) =>
        host.Count switch
        {
            0 => true,
            1 => host[0] is not { Length: > 0 } value || Matches(value, Patterns()),
            _ => false,
        };

    /// <summary>
    /// <c>requestContext.domainName</c> for an event without a handshake (the <c>$disconnect</c> of a connection whose
    /// node was lost): <c>Switchboard:DomainName</c> when set, else <c>localhost</c>.
    /// </summary>
    public string DomainNameWithoutHandshake => _domainName ?? "localhost";

    /// <summary>
    /// <c>requestContext.domainName</c> for a handshake: <c>Switchboard:DomainName</c> when set; else the handshake's
    /// host when an explicit entry (not <c>*</c>) allows it, with the port the client actually connected to, so that a
    /// client cannot point handlers' callbacks elsewhere; else <c>localhost:{port}</c>.
    /// </summary>
    public string DomainNameFor(StringValues hostHeader, int localPort)
    {
        if (_domainName is not null)
        {
            return _domainName;
        }

        var header = hostHeader.Count == 1 ? hostHeader[0] ?? "" : "";
        if (Volatile.Read(ref _lastDomainName) is { } last && last.Port == localPort && last.HostHeader == header)
        {
            return last.DomainName;
        }

        var host = new HostString(header);
        var domainName = host.HasValue && Matches(host.Value, [.. Patterns().Where(pattern => pattern != "*")])
            ? host.Port is null ? host.Host : $"{host.Host}:{localPort}"
            : $"localhost:{localPort}";
        Volatile.Write(ref _lastDomainName, new DomainNameForHost(header, localPort, domainName));
        return domainName;
    }

    /// <summary>ASP.NET Core's matching; a malformed port (which it throws on) matches nothing.</summary>
    private static bool Matches(string host, StringSegment[] patterns)
    {
        try
        {
            return HostString.MatchesAny(host, patterns);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private StringSegment[] Patterns() => _configured ?? _derived ?? Derive();

    /// <summary>From the addresses Kestrel reports; kept once the server has bound (it answers nothing before).</summary>
    private StringSegment[] Derive()
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]" };
        if (_domainName is not null)
        {
            hosts.Add(new HostString(_domainName).Host);
        }

        var addresses = _services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses is { Count: > 0 };
        foreach (var address in addresses ?? [])
        {
            var host = BindingAddress.Parse(address).Host;
            if (host is "*" or "+" or "0.0.0.0" or "[::]")
            {
                AddMachineAddresses(hosts);
            }
            else
            {
                hosts.Add(host);
            }
        }

        StringSegment[] patterns = [.. hosts.Select(host => new StringSegment(host))];
        if (bound)
        {
            _derived = patterns;
        }

        return patterns;
    }

    private static void AddMachineAddresses(HashSet<string> hosts)
    {
        hosts.Add(Dns.GetHostName());
        foreach (var network in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in network.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    // Browsers send [fe80::1], never a scope id.
                    address = new IPAddress(address.GetAddressBytes());
                    hosts.Add($"[{address}]");
                }
                else
                {
                    hosts.Add(address.ToString());
                }
            }
        }
    }

    private sealed record DomainNameForHost(string HostHeader, int Port, string DomainName);
}
