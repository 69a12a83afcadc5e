namespace Switchboard.Management;

/// <summary>
/// Counters of one node; also the body of <c>GET /{stage}/@stats</c> (a Switchboard extension):
/// <c>{"connections":N,"messagesIn":N,"messagesOut":N}</c>.
/// </summary>
/// <param name="Connections">Connections open on this node.</param>
/// <param name="MessagesIn">Messages received from clients since start.</param>
/// <param name="MessagesOut">Messages written to clients since start.</param>
public sealed record GatewayStats(long Connections, long MessagesIn, long MessagesOut);
