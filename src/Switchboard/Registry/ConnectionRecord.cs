namespace Switchboard.Registry;

/// <summary>The cluster-wide facts about one open connection.</summary>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="NodeId">The gateway node that holds the socket.</param>
/// <param name="ConnectedAt">When the handshake arrived.</param>
/// <param name="LastActiveAt">When a data frame last crossed the connection (registries may lag behind by their flush interval).</param>
/// <param name="SourceIp">The client's IP address.</param>
/// <param name="UserAgent">The client's User-Agent, when it sent one.</param>
public sealed record ConnectionRecord(
    string ConnectionId,
    string NodeId,
    DateTimeOffset ConnectedAt,
    DateTimeOffset LastActiveAt,
    string SourceIp,
    string? UserAgent);
