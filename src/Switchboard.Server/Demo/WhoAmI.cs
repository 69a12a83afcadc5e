using System.Text.Json.Serialization;

namespace Switchboard.Server.Demo;

/// <summary>The whoami route's reply.</summary>
internal sealed record WhoAmI(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("connectionId")] string ConnectionId);

[JsonSerializable(typeof(WhoAmI))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;
