using System.Text;

namespace Switchboard.Management.Authentication;

/// <summary>
/// The parts of an <c>Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…</c> header. Parsing
/// checks the header's shape only; whether the key, scope, time and signature are right is the verifier's business.
/// </summary>
/// <param name="AccessKeyId">The credential's first part.</param>
/// <param name="Date">The scope's day, <c>yyyyMMdd</c>.</param>
/// <param name="Region">The scope's region.</param>
/// <param name="Service">The scope's service.</param>
/// <param name="SignedHeaders">The signed header names, as sent.</param>
/// <param name="Signature">The signature, as sent.</param>
internal sealed record SigV4Authorization(string AccessKeyId, string Date, string Region, string Service, IReadOnlyList<string> SignedHeaders, string Signature)
{
    /// <summary>
    /// Parses <paramref name="header"/>; on failure <paramref name="problem"/> says what is wrong in the words API Gateway
    /// uses (the header is quoted back, as AWS does; it holds no secret).
    /// </summary>
    /// <param name="header">The <c>Authorization</c> value.</param>
    /// <param name="hasDate">Whether the request has an <c>x-amz-date</c>; its absence is reported with the missing parts.</param>
    /// <param name="authorization">The parts, when the header has them all.</param>
    /// <param name="problem">What is wrong, when it has not.</param>
    public static bool TryParse(string header, bool hasDate, out SigV4Authorization? authorization, out string? problem)
    {
        authorization = null;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = header.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal) ? header[(SigV4.Algorithm.Length + 1)..] : null;
        if (rest is not null)
        {
            // Parts are separated by commas, spaces or both, as AWS reads them.
            foreach (var part in rest.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    problem = $"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.";
                    return false;
                }

                parameters.TryAdd(part[..equals], part[(equals + 1)..]);
            }
        }

        var missing = new StringBuilder();
        foreach (var name in (string[])["Credential", "Signature", "SignedHeaders"])
        {
            if (!parameters.TryGetValue(name, out var value) || value.Length == 0)
            {
                missing.Append($"Authorization header requires '{name}' parameter. ");
            }
        }

        if (!hasDate)
        {
            missing.Append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }

        if (missing.Length > 0)
        {
            problem = missing.Append("Authorization=").Append(header).ToString();
            return false;
        }

        var scope = parameters["Credential"].Split('/');
        if (scope.Length != 5 || scope.Any(part => part.Length == 0) || scope[4] != "aws4_request")
        {
            problem = $"Credential should be of the form <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request, not '{parameters["Credential"]}'. ";
            return false;
        }

        var signedHeaders = parameters["SignedHeaders"].Split(';');
        if (signedHeaders.Any(name => name.Length == 0 || !name.Equals(name.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            problem = $"SignedHeaders must be lowercase header names separated by ';', not '{parameters["SignedHeaders"]}'. ";
            return false;
        }

        authorization = new(scope[0], scope[1], scope[2], scope[3], signedHeaders, parameters["Signature"]);
        problem = null;
        return true;
    }
}
