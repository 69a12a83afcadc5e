namespace Switchboard.Registry;

/// <summary>When a connection was last active: one entry of <see cref="IConnectionRegistry.RecordActivityAsync"/>.</summary>
/// <param name="ConnectionId">The connection.</param>
/// <param name="LastActiveAt">When a data frame last crossed it.</param>
public readonly record struct ConnectionActivity(string ConnectionId, DateTimeOffset LastActiveAt);
