using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>
/// Source-generated JSON for the management API's bodies, in API Gateway's camelCase. <see cref="Relaxed"/> writes
/// what the gateway answers for connections, broadcasts and stats; <see cref="JsonSerializerContext"/>'s
/// <c>Default</c> writes error bodies and reads any of them.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GetConnectionResponse))]
[JsonSerializable(typeof(ListConnectionsResponse))]
[JsonSerializable(typeof(BroadcastResponse))]
[JsonSerializable(typeof(GatewayStats))]
[JsonSerializable(typeof(ErrorBody))]
public sealed partial class ManagementJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Strings escaped only where JSON requires it (quotes, backslashes, control characters), as API Gateway writes a
    /// user agent; the default escaper would write <c>+</c>, <c>&lt;</c>, <c>'</c> and non-ASCII as <c>\uXXXX</c>.
    /// Error bodies keep the default escaping they have always had (<see cref="ErrorBody"/>: an id echoed with
    /// <c>+</c> reads <c>\u002B</c>); the SDKs decode either.
    /// </summary>
    public static ManagementJsonContext Relaxed => s_relaxed ??= new(new JsonSerializerOptions(Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    // Created on first use rather than in a static initializer, which could run before the generated Default's.
    private static ManagementJsonContext? s_relaxed;
}
