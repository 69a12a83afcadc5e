using System.Text.Json;

namespace Switchboard.Events;

/// <summary>
/// What a <c>$connect</c> authorizer allowed a connection with, written as <c>requestContext.authorizer</c>
/// (<c>{"principalId": …, …context, "integrationLatency": …}</c>) on every event of the connection, as API Gateway does.
/// </summary>
/// <param name="PrincipalId">The authorizer's <c>principalId</c> (the JWT authorizer's: the <c>sub</c> claim).</param>
/// <param name="Context">The authorizer's <c>context</c>: each value a JSON string, number or boolean, in the order answered.</param>
/// <param name="IntegrationLatency">How long the authorizer took, in milliseconds.</param>
public sealed record AuthorizerContext(string PrincipalId, IReadOnlyList<KeyValuePair<string, JsonElement>> Context, long IntegrationLatency)
{
    /// <summary>Keys the gateway writes itself: a context entry of that name would repeat them in the JSON, so it is left out.</summary>
    public static bool IsReservedKey(string key) => key is "principalId" or "integrationLatency";

    /// <summary>A context value by key, or null when the authorizer gave none.</summary>
    public JsonElement? this[string key] => Context.FirstOrDefault(entry => entry.Key == key) is { Key: not null } found ? found.Value : null;
}
