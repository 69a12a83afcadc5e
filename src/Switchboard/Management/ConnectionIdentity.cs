using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>The <c>identity</c> member of a connection's facts, as <c>GetConnection</c> reports it.</summary>
/// <param name="SourceIp">The client's IP address.</param>
/// <param name="UserAgent">The client's User-Agent; the member is left out when the handshake had none.</param>
public sealed record ConnectionIdentity(
    string SourceIp,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserAgent);
