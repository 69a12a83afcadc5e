using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>
/// The body of <c>GetConnection</c> (<c>GET /{stage}/@connections/{id}</c>), as API Gateway answers it:
/// <c>{"connectedAt":"2025-01-02T03:04:05.678Z","identity":{"sourceIp":"…","userAgent":"…"},"lastActiveAt":"…"}</c>.
/// </summary>
/// <param name="ConnectedAt">When the handshake arrived; ISO 8601 in UTC with milliseconds.</param>
/// <param name="Identity">Who connected.</param>
/// <param name="LastActiveAt">When a data frame last crossed the connection; same format.</param>
public sealed record GetConnectionResponse(
    [property: JsonConverter(typeof(AwsTimestampJsonConverter))] DateTimeOffset ConnectedAt,
    ConnectionIdentity Identity,
    [property: JsonConverter(typeof(AwsTimestampJsonConverter))] DateTimeOffset LastActiveAt)
{
    /// <summary>The response for what <see cref="ConnectionManager.GetAsync"/> found.</summary>
    public static GetConnectionResponse From(ConnectionDetails connection) =>
        new(connection.ConnectedAt, new ConnectionIdentity(connection.SourceIp, connection.UserAgent), connection.LastActiveAt);
}
