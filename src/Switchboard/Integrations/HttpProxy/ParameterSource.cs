using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Events;

namespace Switchboard.Integrations.HttpProxy;

/// <summary>Where a mapped request parameter's value comes from.</summary>
internal enum ParameterSourceKind
{
    /// <summary><c>'value'</c>: the text between the quotes.</summary>
    Static,

    /// <summary><c>context.X</c>: a variable of the event's request context.</summary>
    Context,

    /// <summary><c>route.request.header.X</c>: a handshake header (<c>$connect</c> only).</summary>
    Header,

    /// <summary><c>route.request.querystring.X</c>: a handshake query parameter (<c>$connect</c> only).</summary>
    QueryString,

    /// <summary><c>route.request.body.path</c>: a field of the message's JSON.</summary>
    Body,

    /// <summary><c>stageVariables.X</c>: a stage variable.</summary>
    StageVariable,
}

/// <summary>
/// One mapping source of API Gateway's WebSocket request parameter mapping (docs/configuration.md, "http_proxy"), parsed
/// once at startup. <see cref="ValueFor"/> gives null when the event has no such value: the parameter is then not sent.
/// </summary>
/// <param name="Kind">The source's kind.</param>
/// <param name="Name">The static value, context variable, header, query parameter or stage variable name; the body path as written.</param>
/// <param name="BodyPath">For <see cref="ParameterSourceKind.Body"/>: property names and array indexes (<see cref="int"/>), in order.</param>
internal sealed partial record ParameterSource(ParameterSourceKind Kind, string Name, IReadOnlyList<object>? BodyPath = null)
{
    public const string ContextPrefix = "context.";
    public const string HeaderPrefix = "route.request.header.";
    public const string QueryStringPrefix = "route.request.querystring.";
    public const string BodyPrefix = "route.request.body.";
    public const string StageVariablesPrefix = "stageVariables.";
    public const string AuthorizerPrefix = "authorizer.";

    /// <summary>The request-context variables a mapping can read (API Gateway's WebSocket <c>$context</c> variables Switchboard has).</summary>
    public static readonly IReadOnlyList<string> ContextVariables =
    [
        "connectionId", "connectedAt", "routeKey", "eventType", "requestId", "extendedRequestId", "messageId", "apiId", "stage",
        "domainName", "requestTime", "requestTimeEpoch", "identity.sourceIp", "identity.userAgent", "authorizer.principalId",
    ];

    private const string Forms = "context.VARIABLE, route.request.header.NAME, route.request.querystring.NAME, route.request.body.PATH, stageVariables.NAME or a 'quoted value'";

    /// <summary>True for <c>context.authorizer.*</c>: a value only a <c>$connect</c> authorizer provides.</summary>
    public bool NeedsAuthorizer => Kind == ParameterSourceKind.Context && Name.StartsWith(AuthorizerPrefix, StringComparison.Ordinal);

    /// <summary>Parses a mapping expression; <paramref name="problem"/> says what is wrong with one that is not a source.</summary>
    public static bool TryParse(string? expression, out ParameterSource? source, out string? problem)
    {
        source = null;
        problem = null;
        var text = expression?.Trim() ?? "";
        if (text.Length >= 2 && text[0] == '\'' && text[^1] == '\'')
        {
            source = new(ParameterSourceKind.Static, text[1..^1]);
        }
        else if (text.StartsWith(ContextPrefix, StringComparison.Ordinal))
        {
            var name = text[ContextPrefix.Length..];
            if (ContextVariables.Contains(name) || (name.StartsWith(AuthorizerPrefix, StringComparison.Ordinal) && name.Length > AuthorizerPrefix.Length))
            {
                source = new(ParameterSourceKind.Context, name);
            }
            else
            {
                problem = $"'{text}' is not a context variable ({string.Join(", ", ContextVariables)}, authorizer.KEY){Configuration.Suggestion.For(name, ContextVariables)}";
            }
        }
        else if (text.StartsWith(HeaderPrefix, StringComparison.Ordinal))
        {
            source = Named(ParameterSourceKind.Header, text, HeaderPrefix, out problem);
        }
        else if (text.StartsWith(QueryStringPrefix, StringComparison.Ordinal))
        {
            source = Named(ParameterSourceKind.QueryString, text, QueryStringPrefix, out problem);
        }
        else if (text.StartsWith("route.request.multivalueheader.", StringComparison.Ordinal) || text.StartsWith("route.request.multivaluequerystring.", StringComparison.Ordinal))
        {
            problem = $"'{text}': multi-value sources are not supported; map route.request.header.NAME or route.request.querystring.NAME (the last value)";
        }
        else if (text.StartsWith(BodyPrefix, StringComparison.Ordinal))
        {
            var path = text[BodyPrefix.Length..];
            if (BodyPathPattern().IsMatch(path))
            {
                source = new(ParameterSourceKind.Body, path, ParseBodyPath(path));
            }
            else
            {
                problem = $"'{text}' is not a body path (route.request.body.NAME, route.request.body.user.id, route.request.body.items[0].id)";
            }
        }
        else if (text.StartsWith(StageVariablesPrefix, StringComparison.Ordinal))
        {
            var name = text[StageVariablesPrefix.Length..];
            if (name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                source = new(ParameterSourceKind.StageVariable, name);
            }
            else
            {
                problem = $"'{text}' is not a stage variable reference (stageVariables.NAME: letters, digits and '_')";
            }
        }
        else
        {
            problem = $"'{text}' is not a mapping source ({Forms})";
        }

        return source is not null;
    }

    /// <summary>
    /// This source's value in <paramref name="routeEvent"/>; null when there is none. <paramref name="message"/> is the
    /// message parsed as JSON, parsed by the caller on first use (null when it is not JSON).
    /// </summary>
    public string? ValueFor(RouteEvent routeEvent, Func<JsonElement?> message) => Kind switch
    {
        ParameterSourceKind.Static => Name,
        ParameterSourceKind.Context => ContextValue(routeEvent),
        ParameterSourceKind.Header => LastValue(routeEvent.Headers, Name, StringComparison.OrdinalIgnoreCase),
        ParameterSourceKind.QueryString => LastValue(routeEvent.QueryString, Name, StringComparison.Ordinal),
        ParameterSourceKind.Body => routeEvent.EventType == RouteEventType.Message && message() is { } root ? BodyValue(root) : null,
        ParameterSourceKind.StageVariable => routeEvent.StageVariables is { } variables && variables.TryGetValue(Name, out var value) ? value : null,
        _ => null,
    };

    private static ParameterSource? Named(ParameterSourceKind kind, string text, string prefix, out string? problem)
    {
        var name = text[prefix.Length..];
        if (ParameterNamePattern().IsMatch(name))
        {
            problem = null;
            return new(kind, name);
        }

        problem = $"'{text}' does not end in a parameter name (letters, digits, '.', '_', '$' and '-')";
        return null;
    }

    private string? ContextValue(RouteEvent e) => Name switch
    {
        "connectionId" => e.ConnectionId,
        "connectedAt" => e.ConnectedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        "routeKey" => e.RouteKey,
        "eventType" => e.EventType.ToString().ToUpperInvariant(),
        "requestId" or "extendedRequestId" => e.RequestId,
        "messageId" => e.MessageId,
        "apiId" => e.ApiId,
        "stage" => e.Stage,
        "domainName" => e.DomainName,
        "requestTime" => ProxyEventWriter.FormatRequestTime(e.RequestTime),
        "requestTimeEpoch" => e.RequestTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        "identity.sourceIp" => e.SourceIp,
        "identity.userAgent" => e.UserAgent,
        "authorizer.principalId" => e.Authorizer?.PrincipalId,
        "authorizer.integrationLatency" => e.Authorizer?.IntegrationLatency.ToString(CultureInfo.InvariantCulture),
        _ => e.Authorizer?[Name[AuthorizerPrefix.Length..]] is { } value ? Text(value) : null,
    };

    private string? BodyValue(JsonElement root)
    {
        var current = root;
        foreach (var step in BodyPath!)
        {
            var found = step switch
            {
                string property => current.ValueKind == JsonValueKind.Object && current.TryGetProperty(property, out var next) ? next : (JsonElement?)null,
                int index => current.ValueKind == JsonValueKind.Array && index < current.GetArrayLength() ? current[index] : null,
                _ => null,
            };
            if (found is not { } element)
            {
                return null;
            }

            current = element;
        }

        return Text(current);
    }

    /// <summary>A string's text; a number's, boolean's, object's or array's JSON; null for JSON null.</summary>
    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    private static string? LastValue(IReadOnlyList<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>? values, string name, StringComparison comparison)
    {
        if (values is null)
        {
            return null;
        }

        string? last = null;
        foreach (var (key, value) in values)
        {
            if (key.Equals(name, comparison) && value.Count > 0)
            {
                last = value[value.Count - 1];
            }
        }

        return last;
    }

    /// <summary><c>a.b[0].c</c> (an optional leading <c>$.</c>) as property names and indexes.</summary>
    private static List<object> ParseBodyPath(string path)
    {
        var steps = new List<object>();
        foreach (var segment in (path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path).Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            steps.Add(bracket < 0 ? segment : segment[..bracket]);
            foreach (Match index in IndexPattern().Matches(segment))
            {
                steps.Add(int.Parse(index.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
            }
        }

        return steps;
    }

    /// <summary>API Gateway's PARAM_NAME: <c>^[a-zA-Z0-9._$-]+$</c>.</summary>
    [GeneratedRegex(@"^[a-zA-Z0-9._$-]+$")]
    private static partial Regex ParameterNamePattern();

    [GeneratedRegex(@"^(\$\.)?[^.\[\]\s]+(\[\d{1,6}\])*(\.[^.\[\]\s]+(\[\d{1,6}\])*)*$")]
    private static partial Regex BodyPathPattern();

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex IndexPattern();
}
