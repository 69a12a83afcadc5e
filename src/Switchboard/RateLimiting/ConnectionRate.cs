namespace Switchboard.RateLimiting;

/// <summary>What the connection rate limits make of a new handshake.</summary>
internal enum ConnectionRate
{
    /// <summary>Within every limit.</summary>
    Accepted,

    /// <summary>The client's address opened more connections than <c>RateLimits:ConnectionsPerAddress</c> allows.</summary>
    AddressLimited,

    /// <summary>The per-address table remembers <c>RateLimits:MaxTrackedAddresses</c> addresses, none of them this one.</summary>
    AddressTableFull,

    /// <summary>The node accepted more connections than <c>RateLimits:Connections</c> allows.</summary>
    NodeLimited,
}
