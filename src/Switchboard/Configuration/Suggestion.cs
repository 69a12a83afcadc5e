namespace Switchboard.Configuration;

/// <summary>
/// "Did you mean" for names a person typed: configuration keys, route keys, handler names, integration kinds, command-line
/// options. Public for packages that check settings of their own (an <see cref="Integrations.IIntegrationKind"/>).
/// </summary>
public static class Suggestion
{
    /// <summary>At most this many edits away, a candidate is offered; further, it is more likely another word.</summary>
    private const int MaxDistance = 3;

    /// <summary><c> (did you mean 'x'?)</c> for the candidate closest to <paramref name="typed"/>, or an empty string.</summary>
    public static string For(string typed, IEnumerable<string> candidates)
    {
        var closest = candidates.Where(candidate => !candidate.Equals(typed, StringComparison.Ordinal)).MinBy(candidate => Distance(candidate, typed));
        return closest is not null && Distance(closest, typed) <= MaxDistance ? $" (did you mean '{closest}'?)" : "";
    }

    /// <summary>Levenshtein distance, case-insensitive.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
