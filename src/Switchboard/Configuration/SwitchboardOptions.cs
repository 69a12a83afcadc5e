namespace Switchboard.Configuration;

/// <summary>
/// The API definition: the counterpart of an API Gateway WebSocket API, its stage and its routes.
/// Bound from the <c>Switchboard</c> configuration section (a JSON definition file, environment
/// variables, command-line overrides). Unknown keys are rejected at startup. A JSON <c>null</c> binds as an empty
/// string wherever a setting is a string with a default (here and in the option classes below it), so validation
/// reports the key instead of a later <see cref="NullReferenceException"/>.
/// </summary>
public sealed class SwitchboardOptions
{
    /// <summary>The configuration section this type is bound from.</summary>
    public const string SectionName = "Switchboard";

    /// <summary>Stage name; clients connect to <c>/{Stage}</c> and backends call <c>/{Stage}/@connections</c>.</summary>
    public string Stage { get; set => field = value ?? ""; } = "production";

    /// <summary>Value of <c>requestContext.apiId</c> in events.</summary>
    public string ApiId { get; set => field = value ?? ""; } = "switchboard";

    /// <summary>
    /// Value of <c>requestContext.domainName</c>. Handlers build their management endpoint as
    /// <c>https://{domainName}/{stage}</c>; when unset, the Host header of the client's handshake is used.
    /// </summary>
    public string? DomainName { get; set; }

    /// <summary>
    /// The stage's variables: <c>stageVariables</c> in events, <c>stageVariables.X</c> identity sources, and
    /// <c>${stageVariables.X}</c> in integration URLs (resolved once at startup).
    /// </summary>
    public Dictionary<string, string> StageVariables { get; set; } = [];

    /// <summary>
    /// Where the API is mounted, as a custom domain's API mapping mounts a stage: null (the default) keeps the stage
    /// segment (<c>/{Stage}</c>, <c>/{Stage}/@connections</c>); <c>""</c> mounts it at the root (<c>/</c>,
    /// <c>/@connections</c>); a single path segment such as <c>chat</c> mounts it there (<c>/chat</c>,
    /// <c>/chat/@connections</c>). Events keep the real <see cref="Stage"/> either way.
    /// </summary>
    public string? BasePath { get; set; }

    /// <summary>The route selection expression applied to every incoming message.</summary>
    public string RouteSelectionExpression { get; set => field = value ?? ""; } = "$request.body.action";

    /// <summary>Routes by route key: <c>$connect</c>, <c>$disconnect</c>, <c>$default</c> and custom keys.</summary>
    public List<RouteDefinition> Routes { get; set; } = [];

    /// <summary>Sizes and lifetimes; defaults are API Gateway's.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>How WebSocket connections reach the gateway.</summary>
    public TransportOptions Transport { get; set; } = new();

    /// <summary>Who may call the management API.</summary>
    public ManagementOptions Management { get; set; } = new();

    /// <summary>Browser origins allowed to connect and trusted proxies.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Rate limits on handshakes, messages, management calls and integration calls; all off by default.</summary>
    public RateLimitsOptions RateLimits { get; set; } = new();
}
