using System.Text;
using System.Text.Json;

namespace Switchboard.Routing;

/// <summary>
/// A compiled API Gateway route selection expression such as <c>$request.body.action</c> or
/// <c>${request.body.service}/${request.body.action}</c>. Compiled once per configuration; evaluation
/// reads the message with <see cref="Utf8JsonReader"/> and builds no document.
/// </summary>
/// <remarks>
/// Rules carried over from API Gateway: variables are <c>$name</c> or <c>${name}</c>; only
/// <c>request.body.&lt;path&gt;</c> is meaningful for WebSocket messages; <c>\$</c> is a literal dollar;
/// a path that finds nothing yields the empty string; numbers, booleans and arrays are stringified.
/// </remarks>
public sealed class RouteSelectionExpression
{
    private const string BodyPrefix = "request.body.";
    private readonly Segment[] _segments;

    private RouteSelectionExpression(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The expression as written in the definition.</summary>
    public string Text { get; }

    /// <summary>True when the expression has no variables and always yields the same key.</summary>
    public bool IsStatic => _segments.All(segment => segment.Path is null);

    /// <summary>Parses an expression, or says precisely what is wrong with it.</summary>
    public static bool TryParse(string text, out RouteSelectionExpression? expression, out string? error)
    {
        expression = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the route selection expression is empty";
            return false;
        }

        var segments = new List<Segment>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '$')
            {
                literal.Append('$');
                i += 2;
                continue;
            }

            if (c != '$')
            {
                literal.Append(c);
                i++;
                continue;
            }

            string variable;
            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    error = $"'${{' at position {i} has no closing '}}'";
                    return false;
                }

                variable = text[(i + 2)..close];
                i = close + 1;
            }
            else
            {
                var end = i + 1;
                while (end < text.Length && IsVariableChar(text[end]))
                {
                    end++;
                }

                variable = text[(i + 1)..end];
                i = end;
            }

            if (!variable.StartsWith(BodyPrefix, StringComparison.Ordinal))
            {
                error = $"unsupported variable '${variable}': WebSocket route selection supports only $request.body.<path>";
                return false;
            }

            var path = variable[BodyPrefix.Length..].Split('.');
            if (path.Any(part => part.Length == 0))
            {
                error = $"'${variable}' has an empty path segment";
                return false;
            }

            if (literal.Length > 0)
            {
                segments.Add(new Segment(literal.ToString(), null));
                literal.Clear();
            }

            segments.Add(new Segment(null, path));
        }

        if (literal.Length > 0)
        {
            segments.Add(new Segment(literal.ToString(), null));
        }

        expression = new RouteSelectionExpression(text, [.. segments]);
        return true;
    }

    /// <summary>Parses an expression that is known to be valid (validation already ran).</summary>
    public static RouteSelectionExpression Parse(string text) =>
        TryParse(text, out var expression, out var error) ? expression! : throw new FormatException(error);

    /// <summary>
    /// Evaluates the expression against a message body. Returns null when the body is not valid JSON
    /// (API Gateway then uses <c>$default</c>); otherwise the route key, possibly empty.
    /// </summary>
    public string? Evaluate(ReadOnlySpan<byte> utf8Body)
    {
        if (_segments.Length == 1)
        {
            var only = _segments[0];
            return only.Path is null ? only.Literal : TryReadPath(utf8Body, only.Path, out var value) ? value : null;
        }

        var key = new StringBuilder();
        foreach (var segment in _segments)
        {
            if (segment.Path is null)
            {
                key.Append(segment.Literal);
            }
            else if (TryReadPath(utf8Body, segment.Path, out var value))
            {
                key.Append(value);
            }
            else
            {
                return null;
            }
        }

        return key.ToString();
    }

    private static bool IsVariableChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    /// <summary>Reads the whole document (so malformed JSON is always detected) and picks the value at <paramref name="path"/>.</summary>
    private static bool TryReadPath(ReadOnlySpan<byte> utf8, string[] path, out string value)
    {
        value = "";
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                value = FindInObject(ref reader, path, 0) ?? "";
            }
            else
            {
                reader.Skip();
            }

            // Reading on to the end validates whatever follows the value we picked.
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Called with the reader on a StartObject; leaves it on the matching EndObject.</summary>
    private static string? FindInObject(ref Utf8JsonReader reader, string[] path, int level)
    {
        string? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var matches = found is null && reader.ValueTextEquals(path[level]);
            reader.Read();
            if (!matches)
            {
                reader.Skip();
            }
            else if (level == path.Length - 1)
            {
                found = Stringify(ref reader);
            }
            else if (reader.TokenType == JsonTokenType.StartObject)
            {
                found = FindInObject(ref reader, path, level + 1);
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }

    /// <summary>API Gateway stringifies whatever the path selects; arrays become <c>[a, b]</c>.</summary>
    private static string Stringify(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.Null:
                return "";
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(Stringify(ref reader));
                }

                return "[" + string.Join(", ", items) + "]";
            default:
                using (var document = JsonDocument.ParseValue(ref reader))
                {
                    return document.RootElement.GetRawText();
                }
        }
    }

    private sealed record Segment(string? Literal, string[]? Path);
}
