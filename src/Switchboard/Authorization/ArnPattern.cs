namespace Switchboard.Authorization;

/// <summary>
/// IAM's <c>ArnLike</c> match of a policy statement's <c>Resource</c> against a method ARN: each of the six
/// colon-separated parts is matched on its own, <c>*</c> standing for any run of characters (in the last part, across
/// <c>/</c> too) and <c>?</c> for one character; a bare <c>*</c> matches every ARN. Case-sensitive.
/// </summary>
internal static class ArnPattern
{
    private const int Parts = 6;

    public static bool Matches(string pattern, string arn)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(arn);
        if (pattern == "*")
        {
            return true;
        }

        var patternParts = pattern.Split(':', Parts);
        var arnParts = arn.Split(':', Parts);
        if (patternParts.Length != Parts || arnParts.Length != Parts)
        {
            return false;
        }

        for (var i = 0; i < Parts; i++)
        {
            if (!Glob(patternParts[i], arnParts[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Wildcard match with <c>*</c> and <c>?</c>, iterative with backtracking to the last <c>*</c> (linear in practice, never exponential).</summary>
    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase = false)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
