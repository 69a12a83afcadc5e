namespace Switchboard.Management;

/// <summary>Counters of one node.</summary>
/// <param name="Connections">Connections open on this node.</param>
/// <param name="MessagesIn">Messages received from clients since start.</param>
/// <param name="MessagesOut">Messages written to clients since start.</param>
public sealed record GatewayStats(long Connections, long MessagesIn, long MessagesOut);
