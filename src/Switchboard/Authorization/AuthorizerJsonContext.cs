using System.Text.Json.Serialization;

namespace Switchboard.Authorization;

/// <summary>Source-generated serialization for the authorizer context (no reflection).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class AuthorizerJsonContext : JsonSerializerContext;
