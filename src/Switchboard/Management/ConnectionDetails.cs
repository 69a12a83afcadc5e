namespace Switchboard.Management;

/// <summary>What <c>GetConnection</c> and the listing report about a connection.</summary>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="ConnectedAt">When the handshake arrived.</param>
/// <param name="LastActiveAt">When a data frame last crossed the connection.</param>
/// <param name="SourceIp">The client's IP address.</param>
/// <param name="UserAgent">The client's User-Agent, when it sent one.</param>
public sealed record ConnectionDetails(string ConnectionId, DateTimeOffset ConnectedAt, DateTimeOffset LastActiveAt, string SourceIp, string? UserAgent);
