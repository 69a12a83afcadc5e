using Switchboard.Integrations;

namespace Switchboard.Routing;

/// <summary>A route ready to run: its key, its integration instance and its settings.</summary>
/// <param name="RouteKey">The route key.</param>
/// <param name="Integration">The backend.</param>
/// <param name="TwoWay">Whether the response body goes back to the client.</param>
/// <param name="Timeout">How long the integration may take.</param>
internal sealed record CompiledRoute(string RouteKey, IRouteIntegration Integration, bool TwoWay, TimeSpan Timeout)
{
    /// <summary>The integration kind's normalized name (<c>http</c>, <c>lambda</c>): the <c>kind</c> tag of its metrics.</summary>
    public string Kind { get; init; } = "";
}
