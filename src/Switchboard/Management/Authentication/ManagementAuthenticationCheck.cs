using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;
using Switchboard.Diagnostics;

namespace Switchboard.Management.Authentication;

/// <summary>
/// Lets a management call through only when it carries a valid AWS Signature Version 4 for one of the configured
/// credentials (service <c>execute-api</c>, the configured region, <c>x-amz-date</c> within 5 minutes of the gateway's
/// clock) or one of the configured API keys (<c>Authorization: Bearer</c> or <c>x-api-key</c>). Attached after the
/// gateway's other checks when <c>Switchboard:Management:Authentication</c> has any credential or key. Refusals are
/// API Gateway's (<see cref="AuthenticationRefusals"/>) and logged at most once per
/// <see cref="ManagementEndpoints.RefusalLogInterval"/>, never with a secret or a signature.
/// </summary>
/// <remarks>
/// To hash the payload the check reads the body (at most <c>maxBodyBytes</c>; more is answered 413 as the endpoints
/// would) and puts it back as a readable in-memory body for the operation.
/// </remarks>
internal sealed class ManagementAuthenticationCheck : IManagementAccessCheck
{
    /// <summary>How far <c>x-amz-date</c> may be from the gateway's clock, either way, as on AWS.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);

    public const string Service = "execute-api";
    private const string ApiKeyHeader = "x-api-key";
    private const string BearerPrefix = "Bearer ";

    private readonly Dictionary<string, string> _credentials;
    private readonly byte[][] _apiKeyHashes;
    private readonly string _region;
    private readonly Func<int> _maxBodyBytes;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _refusals;

    public ManagementAuthenticationCheck(ManagementAuthenticationOptions options, Func<int> maxBodyBytes, ILogger logger, TimeProvider time)
    {
        // Access key ids are case-sensitive, as on AWS; configuration keys are not, so a copy with ordinal keys.
        _credentials = new Dictionary<string, string>(options.Credentials, StringComparer.Ordinal);
        _apiKeyHashes = [.. options.ApiKeys.Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))];
        _region = options.Region;
        _maxBodyBytes = maxBodyBytes;
        _logger = logger;
        _time = time;
        _refusals = new LogThrottle(time, ManagementEndpoints.RefusalLogInterval);
    }

    public async ValueTask<ManagementError?> CheckAsync(HttpContext context)
    {
        var refusal = await AuthenticateAsync(context).ConfigureAwait(false);
        if (refusal is not null && refusal.StatusCode == StatusCodes.Status403Forbidden && _refusals.TryEnter(out var suppressed))
        {
            Log.ManagementAuthenticationRefused(_logger, refusal.ErrorType, context.Connection.RemoteIpAddress?.ToString() ?? "(unknown)", suppressed);
        }

        return refusal;
    }

    private async ValueTask<ManagementError?> AuthenticateAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.TryGetValue(ApiKeyHeader, out var apiKey) && !StringValues.IsNullOrEmpty(apiKey))
        {
            return IsApiKey(apiKey.ToString()) ? null : AuthenticationRefusals.UnknownApiKey;
        }

        var authorization = headers.Authorization;
        if (StringValues.IsNullOrEmpty(authorization))
        {
            return AuthenticationRefusals.MissingToken;
        }

        var header = authorization.ToString();
        if (header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return IsApiKey(header[BearerPrefix.Length..].Trim()) ? null : AuthenticationRefusals.UnknownApiKey;
        }

        return await VerifySignatureAsync(context, header).ConfigureAwait(false);
    }

    /// <summary>Compared with every configured key, each in constant time, so the time taken says nothing about any of them.</summary>
    private bool IsApiKey(string candidate)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(candidate));
        var found = false;
        foreach (var configured in _apiKeyHashes)
        {
            found |= CryptographicOperations.FixedTimeEquals(hash, configured);
        }

        return found;
    }

    private async ValueTask<ManagementError?> VerifySignatureAsync(HttpContext context, string header)
    {
        var request = context.Request;
        var dates = request.Headers[SigV4.DateHeader];
        if (dates.Count > 1)
        {
            return AuthenticationRefusals.Incomplete("The request has more than one X-Amz-Date header; it must have exactly one. ");
        }

        if (!SigV4Authorization.TryParse(header, hasDate: dates.Count == 1, out var authorization, out var problem))
        {
            return AuthenticationRefusals.Incomplete(problem!);
        }

        var amzDate = dates.ToString();
        if (!SigV4.TryParseDate(amzDate, out var signedAt))
        {
            return AuthenticationRefusals.Incomplete($"X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z', not '{amzDate}'. ");
        }

        if (!authorization!.SignedHeaders.Contains("host", StringComparer.Ordinal))
        {
            return AuthenticationRefusals.Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization. ");
        }

        if (authorization.Date != amzDate[..8])
        {
            return AuthenticationRefusals.Invalid($"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{authorization.Date}' != '{amzDate[..8]}', from 'x-amz-date'. ");
        }

        if (authorization.Region != _region)
        {
            return AuthenticationRefusals.Invalid($"Credential should be scoped to a valid region, not '{authorization.Region}'. ");
        }

        if (authorization.Service != Service)
        {
            return AuthenticationRefusals.Invalid($"Credential should be scoped to correct service: '{Service}'. ");
        }

        if (OutsideClockSkew(signedAt, amzDate) is { } skew)
        {
            return skew;
        }

        if (!_credentials.TryGetValue(authorization.AccessKeyId, out var secret))
        {
            return AuthenticationRefusals.UnknownAccessKey;
        }

        var payloadHash = request.Headers[SigV4.ContentSha256Header].ToString();
        if (payloadHash != SigV4.UnsignedPayload)
        {
            var body = await BufferBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                return new ManagementError(StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeException", $"Request data must not exceed {_maxBodyBytes()} bytes");
            }

            // Always the hash of the body received: a body changed on the way no longer matches what was signed.
            payloadHash = SigV4.HashHex(body);
        }

        var canonicalRequest = SigV4.CanonicalRequest(request.Method, RawTarget(context), authorization.SignedHeaders, name => request.Headers[name], payloadHash);
        var (_, stringToSign, expected) = SigV4.Sign(secret, amzDate, authorization.Region, authorization.Service, canonicalRequest);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(authorization.Signature))
            ? null
            : AuthenticationRefusals.SignatureMismatch(canonicalRequest, stringToSign);
    }

    /// <summary>AWS's two answers to a signing time more than 5 minutes from the gateway's clock; null within it.</summary>
    private ManagementError? OutsideClockSkew(DateTimeOffset signedAt, string amzDate)
    {
        var now = _time.GetUtcNow();
        if (signedAt < now - AllowedClockSkew)
        {
            return AuthenticationRefusals.Invalid($"Signature expired: {amzDate} is now earlier than {SigV4.FormatDate(now - AllowedClockSkew)} ({SigV4.FormatDate(now)} - 5 min.)");
        }

        if (signedAt > now + AllowedClockSkew)
        {
            return AuthenticationRefusals.Invalid($"Signature not yet current: {amzDate} is still later than {SigV4.FormatDate(now + AllowedClockSkew)} ({SigV4.FormatDate(now)} + 5 min.)");
        }

        return null;
    }

    /// <summary>
    /// The request target as the client sent it: the SDKs sign the path with its percent-encoding (<c>abc123%3D</c>),
    /// which <see cref="HttpRequest.Path"/> has already decoded.
    /// </summary>
    private static string RawTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            var request = context.Request;
            return (request.PathBase + request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        }

        // An absolute-form target (http://host/path) carries the path after its authority.
        if (!raw.StartsWith('/') && raw.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0)
        {
            var pathStart = raw.IndexOf('/', scheme + 3);
            return pathStart < 0 ? "/" : raw[pathStart..];
        }

        return raw;
    }

    /// <summary>
    /// The body, read whole (null when it is longer than the limit) and put back as the request's body for the
    /// operation, which reads it again.
    /// </summary>
    private async ValueTask<byte[]?> BufferBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0)
        {
            return [];
        }

        var maxBodyBytes = _maxBodyBytes();
        if (request.ContentLength > maxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[Math.Min(16 * 1024, maxBodyBytes + 1)];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBodyBytes)
            {
                return null;
            }
        }

        var body = buffer.ToArray();
        request.Body = new MemoryStream(body, writable: false);
        return body;
    }
}
