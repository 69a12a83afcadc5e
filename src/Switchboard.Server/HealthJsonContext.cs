using System.Text.Json.Serialization;

namespace Switchboard.Server;

/// <summary>Source-generated JSON for <see cref="HealthResponse"/>, including the value types its data may hold.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
