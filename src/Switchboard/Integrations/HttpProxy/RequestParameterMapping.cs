using System.Text.Json;
using Switchboard.Configuration;
using Switchboard.Events;

namespace Switchboard.Integrations.HttpProxy;

/// <summary>
/// An <c>http_proxy</c> route's <c>RequestParameters</c>, as API Gateway's WebSocket data mapping: each
/// <c>integration.request.header.NAME</c> or <c>integration.request.querystring.NAME</c> gets the value of its
/// <see cref="ParameterSource"/>. Parsed once at startup. A source without a value in an event (a header the client did
/// not send, a body field that is absent or null) sends nothing, and so does a header value that is not printable
/// ASCII (control characters, non-ASCII text: HTTP/1.1 header values cannot carry them) — a Switchboard choice.
/// </summary>
internal sealed class RequestParameterMapping
{
    public const string SettingName = nameof(IntegrationOptions.RequestParameters);
    public const string HeaderTarget = "integration.request.header.";
    public const string QueryStringTarget = "integration.request.querystring.";

    /// <summary>Headers the HTTP connection itself owns: a mapping must not set them.</summary>
    private static readonly string[] ConnectionHeaders = ["Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Keep-Alive", "TE", "Trailer", "Expect", "Proxy-Connection"];

    private readonly List<(string Name, ParameterSource Source)> _headers = [];
    private readonly List<(string Name, ParameterSource Source)> _query = [];

    private RequestParameterMapping()
    {
    }

    /// <summary>An empty mapping: nothing of the client's request is sent.</summary>
    public static RequestParameterMapping None { get; } = new();

    /// <summary>The parameters of <paramref name="parameters"/>, which passed <see cref="Validate"/>.</summary>
    public static RequestParameterMapping Parse(IReadOnlyDictionary<string, string> parameters)
    {
        var mapping = new RequestParameterMapping();
        foreach (var (target, expression) in parameters.OrderBy(parameter => parameter.Key, StringComparer.Ordinal))
        {
            if (!ParameterSource.TryParse(expression, out var source, out _) || !TryParseTarget(target, out var isHeader, out var name, out _))
            {
                throw new ArgumentException($"{SettingName}:{target} did not pass validation", nameof(parameters));
            }

            (isHeader ? mapping._headers : mapping._query).Add((name!, source!));
        }

        return mapping;
    }

    /// <summary>What is wrong with each target and source, each named <c>RequestParameters:TARGET</c>.</summary>
    public static IEnumerable<IntegrationSettingError> Validate(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (target, expression) in parameters)
        {
            var key = $"{SettingName}:{target}";
            if (!TryParseTarget(target, out _, out _, out var targetProblem))
            {
                yield return new(key, targetProblem!);
            }

            if (!ParameterSource.TryParse(expression, out _, out var sourceProblem))
            {
                yield return new(key, sourceProblem!);
            }
        }
    }

    /// <summary>The parsed sources of <paramref name="parameters"/> by target, skipping ones that do not parse (reported by <see cref="Validate"/>).</summary>
    public static IEnumerable<(string Target, ParameterSource Source)> Sources(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (target, expression) in parameters)
        {
            if (ParameterSource.TryParse(expression, out var source, out _))
            {
                yield return (target, source!);
            }
        }
    }

    public bool IsEmpty => _headers.Count == 0 && _query.Count == 0;

    /// <summary>
    /// The mapped headers and query parameters that have a value in <paramref name="routeEvent"/>, in the order of their
    /// targets. The message is parsed as JSON at most once, and only when a body path is mapped.
    /// </summary>
    public (List<KeyValuePair<string, string>> Headers, List<KeyValuePair<string, string>> Query) Resolve(RouteEvent routeEvent)
    {
        JsonDocument? document = null;
        var parsed = false;
        JsonElement? Message()
        {
            if (!parsed)
            {
                parsed = true;
                try
                {
                    document = JsonDocument.Parse(routeEvent.BodyUtf8);
                }
                catch (JsonException)
                {
                    // Not JSON: every body path is absent, as API Gateway's route selection treats such a message.
                }
            }

            return document?.RootElement;
        }

        try
        {
            var headers = new List<KeyValuePair<string, string>>(_headers.Count);
            foreach (var (name, source) in _headers)
            {
                if (source.ValueFor(routeEvent, Message) is { } value && IsHeaderValue(value))
                {
                    headers.Add(new(name, value));
                }
            }

            var query = new List<KeyValuePair<string, string>>(_query.Count);
            foreach (var (name, source) in _query)
            {
                if (source.ValueFor(routeEvent, Message) is { } value)
                {
                    query.Add(new(name, value));
                }
            }

            return (headers, query);
        }
        finally
        {
            document?.Dispose();
        }
    }

    private static bool TryParseTarget(string target, out bool isHeader, out string? name, out string? problem)
    {
        isHeader = target.StartsWith(HeaderTarget, StringComparison.OrdinalIgnoreCase);
        var isQuery = target.StartsWith(QueryStringTarget, StringComparison.OrdinalIgnoreCase);
        name = isHeader ? target[HeaderTarget.Length..] : isQuery ? target[QueryStringTarget.Length..] : null;
        problem = null;
        if (name is null)
        {
            problem = $"'{target}' is not a mapping target ({HeaderTarget}NAME or {QueryStringTarget}NAME)";
        }
        else if (name.Length == 0 || (isHeader && !name.All(IsTokenCharacter)))
        {
            problem = $"'{target}' does not end in a {(isHeader ? "header" : "query parameter")} name";
        }
        else if (isHeader && ConnectionHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            problem = $"'{name}' is set by the HTTP connection, not by a mapping";
        }

        return problem is null;
    }

    /// <summary>RFC 9110 token characters: what a header name may be made of.</summary>
    private static bool IsTokenCharacter(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

    private static bool IsHeaderValue(string value) => value.All(c => c == '\t' || c is >= ' ' and <= '~');
}
