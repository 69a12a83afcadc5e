using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Management.Authentication;

/// <summary>
/// AWS Signature Version 4 as the AWS SDKs compute it for services other than S3: the canonical request, the string to
/// sign, the signing key and the signature. Shared by the gateway's verifier and the CLI's signer, so both build the
/// same bytes. Every input is the request as it travels on the wire (the request target as sent, header values as
/// received); nothing here reads a clock or a secret store.
/// </summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The payload hash a signer sends in <c>x-amz-content-sha256</c> when it leaves the body out of the signature.</summary>
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    public const string ContentSha256Header = "x-amz-content-sha256";
    public const string DateHeader = "x-amz-date";
    public const string SecurityTokenHeader = "x-amz-security-token";

    /// <summary>ISO 8601 basic format of <c>x-amz-date</c>: <c>20150830T123600Z</c>.</summary>
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    private const string Terminator = "aws4_request";

    /// <summary>The lowercase hex SHA-256 of <paramref name="data"/>, as the payload line of a canonical request has it.</summary>
    public static string HashHex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary><c>{yyyyMMdd}/{region}/{service}/aws4_request</c>.</summary>
    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/{Terminator}";

    /// <summary>
    /// The canonical request: method, canonical URI and query of <paramref name="rawTarget"/> (the request target as
    /// sent, percent-encoding untouched), the <paramref name="signedHeaders"/> (lowercase) with their values from
    /// <paramref name="headerValues"/>, the signed-headers line and the payload hash.
    /// </summary>
    public static string CanonicalRequest(string method, string rawTarget, IReadOnlyList<string> signedHeaders, Func<string, IEnumerable<string>> headerValues, string payloadHash)
    {
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var query = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];
        var builder = new StringBuilder(256);
        builder.Append(method).Append('\n');
        builder.Append(CanonicalUri(path)).Append('\n');
        builder.Append(CanonicalQuery(query)).Append('\n');
        foreach (var name in signedHeaders)
        {
            builder.Append(name).Append(':').Append(CanonicalHeaderValue(headerValues(name))).Append('\n');
        }

        builder.Append('\n').AppendJoin(';', signedHeaders).Append('\n');
        builder.Append(payloadHash);
        return builder.ToString();
    }

    /// <summary>
    /// The path of the request target as the SDKs sign it: dot segments and empty segments removed, then each segment
    /// percent-encoded once more as sent — so <c>/prod/@connections/abc123%3D</c> becomes
    /// <c>/prod/%40connections/abc123%253D</c>, and an unencoded <c>/example space/</c> becomes <c>/example%20space/</c>.
    /// </summary>
    public static string CanonicalUri(string rawPath)
    {
        var segments = new List<string>();
        foreach (var segment in rawPath.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    continue;
                default:
                    segments.Add(Encode(segment));
                    continue;
            }
        }

        if (segments.Count == 0)
        {
            return "/";
        }

        return "/" + string.Join('/', segments) + (rawPath.EndsWith('/') ? "/" : "");
    }

    /// <summary>
    /// The query's parameters decoded, encoded again strictly (RFC 3986 unreserved characters kept, everything else
    /// <c>%XX</c>), sorted by name then value; a parameter without <c>=</c> has an empty value.
    /// </summary>
    public static string CanonicalQuery(string rawQuery)
    {
        if (rawQuery.Length == 0)
        {
            return "";
        }

        var parameters = new List<(string Name, string Value)>();
        foreach (var pair in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            parameters.Add((Encode(Uri.UnescapeDataString(name)), Encode(Uri.UnescapeDataString(value))));
        }

        parameters.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Value, b.Value));
        return string.Join('&', parameters.Select(parameter => parameter.Name + "=" + parameter.Value));
    }

    /// <summary>A header's values, each trimmed and with runs of spaces made one, joined with commas.</summary>
    public static string CanonicalHeaderValue(IEnumerable<string> values) =>
        string.Join(',', values.Select(value => string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))));

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{HashHex(Encoding.UTF8.GetBytes(canonicalRequest))}";

    /// <summary>
    /// Signs <paramref name="canonicalRequest"/> with <paramref name="secret"/> at <paramref name="amzDate"/>
    /// (<c>x-amz-date</c>) for <paramref name="region"/> and <paramref name="service"/>: the credential scope, the string
    /// to sign and the signature (lowercase hex).
    /// </summary>
    public static (string Scope, string StringToSign, string Signature) Sign(string secret, string amzDate, string region, string service, string canonicalRequest)
    {
        var date = amzDate[..8];
        var scope = Scope(date, region, service);
        var stringToSign = StringToSign(amzDate, scope, canonicalRequest);
        return (scope, stringToSign, Signature(SigningKey(secret, date, region, service), stringToSign));
    }

    /// <summary>The key derived from the secret for one day, region and service.</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        return Hmac(key, Terminator);
    }

    /// <summary>The signature as lowercase hex.</summary>
    public static string Signature(byte[] signingKey, string stringToSign) => Convert.ToHexStringLower(Hmac(signingKey, stringToSign));

    /// <summary>The value of an <c>Authorization</c> header carrying <paramref name="signature"/>.</summary>
    public static string AuthorizationHeader(string accessKeyId, string scope, IEnumerable<string> signedHeaders, string signature) =>
        $"{Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}";

    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static bool TryParseDate(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    /// <summary>RFC 3986 encoding of UTF-8 bytes: <c>A–Z a–z 0–9 - . _ ~</c> kept, everything else <c>%XX</c> in upper case.</summary>
    private static string Encode(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(Convert.ToHexString([b]));
            }
        }

        return builder.ToString();
    }
}
