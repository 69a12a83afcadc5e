using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>The JSON body of a management error that carries a message.</summary>
/// <param name="Message">Human-readable text.</param>
internal sealed record ErrorBody([property: JsonPropertyName("message")] string Message);

/// <summary>Source-generated serialization for <see cref="ErrorBody"/>.</summary>
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorBodyContext : JsonSerializerContext;
