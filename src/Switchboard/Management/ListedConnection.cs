using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>One item of <see cref="ListConnectionsResponse"/>: <see cref="GetConnectionResponse"/>'s members, led by the id.</summary>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="ConnectedAt">When the handshake arrived; ISO 8601 in UTC with milliseconds.</param>
/// <param name="Identity">Who connected.</param>
/// <param name="LastActiveAt">When a data frame last crossed the connection; same format.</param>
public sealed record ListedConnection(
    string ConnectionId,
    [property: JsonConverter(typeof(AwsTimestampJsonConverter))] DateTimeOffset ConnectedAt,
    ConnectionIdentity Identity,
    [property: JsonConverter(typeof(AwsTimestampJsonConverter))] DateTimeOffset LastActiveAt)
{
    /// <summary>The item for one connection that <see cref="ConnectionManager.ListAsync"/> returned.</summary>
    public static ListedConnection From(ConnectionDetails connection) =>
        new(connection.ConnectionId, connection.ConnectedAt, new ConnectionIdentity(connection.SourceIp, connection.UserAgent), connection.LastActiveAt);
}
