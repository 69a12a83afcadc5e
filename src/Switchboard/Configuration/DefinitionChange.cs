namespace Switchboard.Configuration;

/// <summary>
/// What a new configuration changes against the running one, compared key by key on the flattened configuration
/// (<c>Switchboard:Routes:0:RouteKey</c> → value), and which of those changes a reload may apply.
/// </summary>
/// <remarks>
/// The one list of what a reload applies is <see cref="ReloadablePrefixes"/>: every other changed key needs a restart,
/// and its running value is kept (<see cref="Applicable"/>), so that a snapshot is never half-applied — for example a new
/// <c>Stage</c> with the old stage's connections, or a new <c>MaxConnections</c> that Kestrel's socket limit, sized
/// from the old one at startup, does not follow.
/// </remarks>
internal sealed class DefinitionChange
{
    /// <summary>
    /// The settings a reload applies: everything the route table is built from (routes with their integrations,
    /// timeouts, concurrency limits, two-way flags and the <c>$connect</c> authorizer; the selection expression; the
    /// stage variables; the default integration timeout) and the limits services read from <see cref="LimitsSource"/>.
    /// Everything else is read once at startup by the services that use it — among the limits,
    /// <c>MaxConnections</c> (it sizes Kestrel's socket limit and the file budget), <c>MaxQueuedBytesPerNode</c> (the
    /// node's outbound budget), <c>ShutdownTimeout</c> (the host's own shutdown timeout is set from it) and <c>MaxIntegrationConnectionsPerBackend</c> (the HTTP client's connection pool is built once).
    /// </summary>
    public static readonly IReadOnlyList<string> ReloadablePrefixes =
    [
        "Switchboard:Routes",
        "Switchboard:RouteSelectionExpression",
        "Switchboard:StageVariables",
        "Switchboard:Limits:IntegrationTimeout",
        "Switchboard:Limits:MaxMessageBytes",
        "Switchboard:Limits:MaxFrameBytes",
        "Switchboard:Limits:MaxFramesPerMessage",
        "Switchboard:Limits:MaxPostBytes",
        "Switchboard:Limits:IdleTimeout",
        "Switchboard:Limits:MaxConnectionDuration",
        "Switchboard:Limits:MaxQueuedMessagesPerConnection",
        "Switchboard:Limits:MaxQueuedBytesPerConnection",
        "Switchboard:Limits:SlowClientTimeout",
        "Switchboard:Limits:MaxInFlightMessagesPerConnection",
        "Switchboard:Limits:KeepAliveInterval",
        "Switchboard:Limits:CloseTimeout",
    ];

    private DefinitionChange(IReadOnlyList<string> changedKeys, IReadOnlyList<string> needsRestart, IReadOnlyDictionary<string, string?> applicable, RouteChanges routes)
    {
        ChangedKeys = changedKeys;
        NeedsRestart = needsRestart;
        Applicable = applicable;
        Routes = routes;
    }

    /// <summary>Every key whose value differs, was added or was removed, in order.</summary>
    public IReadOnlyList<string> ChangedKeys { get; }

    /// <summary>The changed keys outside <see cref="ReloadablePrefixes"/>: reported, not applied.</summary>
    public IReadOnlyList<string> NeedsRestart { get; }

    /// <summary>The new configuration with the <see cref="NeedsRestart"/> keys at their running values (or absent when they were).</summary>
    public IReadOnlyDictionary<string, string?> Applicable { get; }

    /// <summary>Routes added, removed and changed (by route key) between the running and the applicable configuration.</summary>
    public RouteChanges Routes { get; }

    /// <summary>True when some change can be applied.</summary>
    public bool HasApplicableChanges => ChangedKeys.Count > NeedsRestart.Count;

    public static bool IsReloadable(string key) =>
        ReloadablePrefixes.Any(prefix => key.Equals(prefix, StringComparison.OrdinalIgnoreCase)
            || (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && key.Length > prefix.Length && key[prefix.Length] == ':'));

    /// <param name="running">The flattened configuration in use (keys compared without regard to case, as configuration does).</param>
    /// <param name="next">The flattened configuration just read.</param>
    public static DefinitionChange Compare(IReadOnlyDictionary<string, string?> running, IReadOnlyDictionary<string, string?> next)
    {
        var changed = running.Keys.Union(next.Keys, StringComparer.OrdinalIgnoreCase)
            .Where(key => running.TryGetValue(key, out var was) != next.TryGetValue(key, out var now) || !string.Equals(was, now, StringComparison.Ordinal))
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        var needsRestart = changed.Where(key => !IsReloadable(key)).ToList();
        var applicable = new Dictionary<string, string?>(next, StringComparer.OrdinalIgnoreCase);
        foreach (var key in needsRestart)
        {
            if (running.TryGetValue(key, out var value))
            {
                applicable[key] = value;
            }
            else
            {
                applicable.Remove(key);
            }
        }

        return new DefinitionChange(changed, needsRestart, applicable, RouteChanges.Between(running, applicable));
    }

    /// <summary>Counts of routes, compared by route key and every setting below it.</summary>
    public sealed record RouteChanges(int Added, int Removed, int Changed)
    {
        private const string Prefix = "Switchboard:Routes:";

        public static RouteChanges Between(IReadOnlyDictionary<string, string?> running, IReadOnlyDictionary<string, string?> next)
        {
            var before = ByRouteKey(running);
            var after = ByRouteKey(next);
            return new RouteChanges(
                after.Keys.Count(key => !before.ContainsKey(key)),
                before.Keys.Count(key => !after.ContainsKey(key)),
                after.Count(route => before.TryGetValue(route.Key, out var was) && was != route.Value));
        }

        /// <summary>Each route's settings as one text ("Integration:Type=http\n…"), by route key, whatever its index.</summary>
        private static Dictionary<string, string> ByRouteKey(IReadOnlyDictionary<string, string?> configuration)
        {
            var routes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (key, value) in configuration)
            {
                if (!key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var rest = key[Prefix.Length..];
                var separator = rest.IndexOf(':', StringComparison.Ordinal);
                if (separator < 0)
                {
                    continue;
                }

                var index = rest[..separator];
                var routeKey = configuration.TryGetValue(Prefix + index + ":RouteKey", out var name) && name is not null ? name : "#" + index;
                if (!routes.TryGetValue(routeKey, out var settings))
                {
                    routes[routeKey] = settings = [];
                }

                settings.Add(rest[(separator + 1)..].ToUpperInvariant() + "=" + value);
            }

            return routes.ToDictionary(route => route.Key, route => string.Join('\n', route.Value.Order(StringComparer.Ordinal)), StringComparer.Ordinal);
        }
    }
}
