namespace Switchboard.Registry;

/// <summary>
/// A connection whose node was lost (a crashed process, a node declared dead) and whose <c>$disconnect</c> is still
/// owed: what the event needs, kept in the registry's store until the event has been delivered.
/// </summary>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="ConnectedAt">When its handshake arrived.</param>
/// <param name="SourceIp">The client's IP address.</param>
/// <param name="UserAgent">The client's User-Agent, when it sent one.</param>
/// <param name="LostAt">When the registry found the node lost (its start-up after a crash, the sweep that purged a
/// dead node): retries of the <c>$disconnect</c> are bounded from here.</param>
public sealed record LostConnection(string ConnectionId, DateTimeOffset ConnectedAt, string SourceIp, string? UserAgent, DateTimeOffset LostAt)
{
    /// <summary>The outbox's own handle of the stored entry, for <see cref="ILostConnectionOutbox.CompleteAsync"/>; null when the id suffices.</summary>
    public string? Receipt { get; init; }
}
