using Switchboard.Authorization;

namespace Switchboard.Routing;

/// <summary>
/// The routes of the validated configuration, with the selection expression compiled: everything message
/// routing needs, built once at startup, never per message.
/// </summary>
internal sealed class RouteTable(
    RouteSelectionExpression expression,
    IReadOnlyDictionary<string, CompiledRoute> customRoutes,
    CompiledRoute? connect,
    CompiledRoute? disconnect,
    CompiledRoute? defaultRoute,
    ConnectAuthorization? connectAuthorization = null)
{
    public const string ConnectKey = "$connect";
    public const string DisconnectKey = "$disconnect";
    public const string DefaultKey = "$default";

    public RouteSelectionExpression Expression => expression;

    public CompiledRoute? Connect => connect;

    public CompiledRoute? Disconnect => disconnect;

    public CompiledRoute? Default => defaultRoute;

    /// <summary>The <c>$connect</c> route's authorizer; null when handshakes are not authorized.</summary>
    public ConnectAuthorization? ConnectAuthorization => connectAuthorization;

    public int Count => customRoutes.Count + (connect is null ? 0 : 1) + (disconnect is null ? 0 : 1) + (defaultRoute is null ? 0 : 1);

    /// <summary>
    /// The route for a message: the custom route whose key equals the evaluated expression (case-sensitive);
    /// otherwise <c>$default</c>, which also takes non-JSON messages; null when neither exists.
    /// </summary>
    public CompiledRoute? Select(ReadOnlySpan<byte> body)
    {
        var key = expression.Evaluate(body);
        return key is not null && customRoutes.TryGetValue(key, out var route) ? route : defaultRoute;
    }
}
