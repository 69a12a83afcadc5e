using System.Globalization;
using Switchboard.Routing;

namespace Switchboard.Authorization;

/// <summary>
/// One identity source of a <c>$connect</c> authorizer, as API Gateway writes them: <c>route.request.header.X</c>,
/// <c>route.request.querystring.X</c>, <c>stageVariables.X</c> or <c>context.X</c>. Parsed once at startup.
/// </summary>
internal sealed record IdentitySource(IdentitySourceKind Kind, string Name)
{
    private const string HeaderPrefix = "route.request.header.";
    private const string QueryPrefix = "route.request.querystring.";
    private const string StageVariablePrefix = "stageVariables.";
    private const string ContextPrefix = "context.";

    /// <summary>The <c>context.X</c> variables known before the authorizer runs (API Gateway's <c>$context</c> names).</summary>
    public static readonly IReadOnlyList<string> ContextVariables =
        ["connectionId", "routeKey", "eventType", "apiId", "stage", "connectedAt", "identity.sourceIp", "identity.userAgent"];

    public static bool TryParse(string? text, out IdentitySource? source, out string? error)
    {
        source = null;
        error = null;
        text = text?.Trim() ?? "";
        foreach (var (prefix, kind) in new[]
                 {
                     (HeaderPrefix, IdentitySourceKind.Header), (QueryPrefix, IdentitySourceKind.QueryString),
                     (StageVariablePrefix, IdentitySourceKind.StageVariable), (ContextPrefix, IdentitySourceKind.Context),
                 })
        {
            if (!text.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = text[prefix.Length..];
            if (name.Length == 0)
            {
                error = $"'{text}' names no {kind switch { IdentitySourceKind.Header => "header", IdentitySourceKind.QueryString => "query parameter", IdentitySourceKind.StageVariable => "stage variable", _ => "context variable" }}";
                return false;
            }

            if (kind == IdentitySourceKind.Context && !ContextVariables.Contains(name))
            {
                error = $"'{text}': unknown context variable (known: {string.Join(", ", ContextVariables)}){Configuration.Suggestion.For(name, ContextVariables)}";
                return false;
            }

            source = new IdentitySource(kind, name);
            return true;
        }

        error = $"'{text}' is not an identity source (route.request.header.X, route.request.querystring.X, stageVariables.X or context.X)";
        return false;
    }

    /// <summary>The source's value for a handshake; null or "" when the caller did not give it.</summary>
    public string? Resolve(AuthorizationRequest request, IReadOnlyDictionary<string, string> stageVariables)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stageVariables);
        return Kind switch
        {
            IdentitySourceKind.Header => request.Upgrade.Headers.TryGetValue(Name, out var header) ? header.ToString() : null,
            IdentitySourceKind.QueryString => request.Upgrade.Query.TryGetValue(Name, out var query) ? query.ToString() : null,
            IdentitySourceKind.StageVariable => stageVariables.GetValueOrDefault(Name),
            _ => Name switch
            {
                "connectionId" => request.ConnectionId,
                "routeKey" => RouteTable.ConnectKey,
                "eventType" => "CONNECT",
                "apiId" => request.ApiId,
                "stage" => request.Stage,
                "connectedAt" => request.ConnectedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                "identity.sourceIp" => request.SourceIp,
                _ => request.UserAgent,
            },
        };
    }

    public override string ToString() => Kind switch
    {
        IdentitySourceKind.Header => HeaderPrefix + Name,
        IdentitySourceKind.QueryString => QueryPrefix + Name,
        IdentitySourceKind.StageVariable => StageVariablePrefix + Name,
        _ => ContextPrefix + Name,
    };
}

/// <summary>Where an <see cref="IdentitySource"/> reads from.</summary>
internal enum IdentitySourceKind
{
    Header,
    QueryString,
    StageVariable,
    Context,
}
