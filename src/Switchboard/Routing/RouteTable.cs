using System.Collections.Frozen;
using Switchboard.Authorization;
using Switchboard.Integrations;

namespace Switchboard.Routing;

/// <summary>
/// The routes of the validated configuration, with the selection expression compiled, and the stage variables their
/// events carry: everything message routing needs, built once per configuration snapshot, never per message.
/// </summary>
/// <remarks>
/// A table counts its users (<see cref="RouteTableSource.Acquire"/>): the source holds one use while the table is
/// current, and each unit of work one more until it ends. When the last use of a replaced table ends, no call of its
/// integrations is in flight, and the source disposes those that hold resources.
/// </remarks>
internal sealed class RouteTable(
    RouteSelectionExpression expression,
    IReadOnlyDictionary<string, CompiledRoute> customRoutes,
    CompiledRoute? connect,
    CompiledRoute? disconnect,
    CompiledRoute? defaultRoute,
    ConnectAuthorization? connectAuthorization = null,
    IReadOnlyDictionary<string, string>? stageVariables = null)
{
    /// <summary>1 for the source's use while the table is current; 0 once it is retired and unused (it never rises again).</summary>
    private int _uses = 1;

    public const string ConnectKey = "$connect";
    public const string DisconnectKey = "$disconnect";
    public const string DefaultKey = "$default";

    public RouteSelectionExpression Expression => expression;

    public CompiledRoute? Connect => connect;

    public CompiledRoute? Disconnect => disconnect;

    public CompiledRoute? Default => defaultRoute;

    /// <summary>The <c>$connect</c> route's authorizer; null when handshakes are not authorized.</summary>
    public ConnectAuthorization? ConnectAuthorization => connectAuthorization;

    /// <summary>
    /// <c>Switchboard:StageVariables</c> of this snapshot, shared by every event built with the table (no allocation
    /// per event); null when there are none, so that proxy events leave the key out.
    /// </summary>
    public IReadOnlyDictionary<string, string>? StageVariables => stageVariables;

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

    /// <summary>The stage variables as a table keeps them: frozen, or null when there are none.</summary>
    public static IReadOnlyDictionary<string, string>? Freeze(IReadOnlyDictionary<string, string> stageVariables) =>
        stageVariables.Count == 0 ? null : stageVariables.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>One more use, unless the table is retired and its last use has ended (then the caller reads the current table again).</summary>
    internal bool TryAddUse()
    {
        var uses = Volatile.Read(ref _uses);
        while (uses > 0)
        {
            var seen = Interlocked.CompareExchange(ref _uses, uses + 1, uses);
            if (seen == uses)
            {
                return true;
            }

            uses = seen;
        }

        return false;
    }

    /// <summary>Ends a use; true when it was the last use of a retired table, whose integrations may now be disposed.</summary>
    internal bool EndUse() => Interlocked.Decrement(ref _uses) == 0;

    /// <summary>
    /// Whether some integration of the table holds resources (<see cref="IAsyncDisposable"/>, <see cref="IDisposable"/>):
    /// only then are its uses counted. The built-in kinds hold none, so their tables cost one volatile read per use.
    /// </summary>
    internal bool HoldsResources { get; } = new[] { connect, disconnect, defaultRoute, connectAuthorization?.Integration }
        .Concat(customRoutes.Values)
        .Any(route => route?.Integration is IAsyncDisposable or IDisposable);

    /// <summary>Every integration of the table, the <c>$connect</c> authorizer's included.</summary>
    internal IEnumerable<IRouteIntegration> Integrations =>
        customRoutes.Values.Concat([connect, disconnect, defaultRoute, connectAuthorization?.Integration])
            .OfType<CompiledRoute>()
            .Select(route => route.Integration);
}
