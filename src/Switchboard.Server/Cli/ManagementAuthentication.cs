using System.Net.Http.Headers;
using Switchboard.Management.Authentication;

namespace Switchboard.Server.Cli;

/// <summary>
/// How the CLI authenticates its management calls: an API key when one is given (<c>--api-key</c> or
/// <c>$SWITCHBOARD_API_KEY</c>), else a SigV4 signature when the usual AWS variables hold credentials
/// (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, optional <c>AWS_SESSION_TOKEN</c>, region from
/// <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c>, else us-east-1), else nothing — what a gateway without configured
/// credentials expects.
/// </summary>
internal abstract record ManagementAuthentication
{
    public const string ApiKeyVariable = "SWITCHBOARD_API_KEY";
    private const string DefaultRegion = "us-east-1";

    /// <summary>What to authenticate with, from <paramref name="apiKey"/> (the option, already defaulted from its variable) and the environment.</summary>
    public static ManagementAuthentication? From(string? apiKey, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            return new ApiKey(apiKey);
        }

        if (environment("AWS_ACCESS_KEY_ID") is { Length: > 0 } accessKeyId && environment("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret)
        {
            var region = environment("AWS_REGION") is { Length: > 0 } named ? named : environment("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback : DefaultRegion;
            return new Signature(accessKeyId, secret, environment("AWS_SESSION_TOKEN") is { Length: > 0 } token ? token : null, region);
        }

        return null;
    }

    /// <summary>Adds the authentication to <paramref name="request"/>, whose content (if any) is already set.</summary>
    public abstract Task ApplyAsync(HttpRequestMessage request, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary><c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public sealed record ApiKey(string Key) : ManagementAuthentication
    {
        public override Task ApplyAsync(HttpRequestMessage request, DateTimeOffset now, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            return Task.CompletedTask;
        }

        // Never printed, whatever prints this record.
        public override string ToString() => "ApiKey { Key = *** }";
    }

    /// <summary>SigV4 for service <c>execute-api</c>, signing host, x-amz-content-sha256, x-amz-date and the session token.</summary>
    public sealed record Signature(string AccessKeyId, string SecretAccessKey, string? SessionToken, string Region) : ManagementAuthentication
    {
        public override async Task ApplyAsync(HttpRequestMessage request, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var amzDate = SigV4.FormatDate(now);
            var payloadHash = SigV4.HashHex(body);
            var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["host"] = uri.Authority,
                [SigV4.ContentSha256Header] = payloadHash,
                [SigV4.DateHeader] = amzDate,
            };
            if (SessionToken is not null)
            {
                headers[SigV4.SecurityTokenHeader] = SessionToken;
            }

            string[] signedHeaders = [.. headers.Keys];
            var canonicalRequest = SigV4.CanonicalRequest(request.Method.Method, uri.PathAndQuery, signedHeaders, name => [headers[name]], payloadHash);
            var (scope, _, signature) = SigV4.Sign(SecretAccessKey, amzDate, Region, ManagementAuthenticationCheck.Service, canonicalRequest);
            foreach (var (name, value) in headers.Where(header => header.Key != "host"))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            request.Headers.TryAddWithoutValidation("Authorization", SigV4.AuthorizationHeader(AccessKeyId, scope, signedHeaders, signature));
        }

        // Never printed, whatever prints this record.
        public override string ToString() => $"Signature {{ AccessKeyId = {AccessKeyId}, Region = {Region} }}";
    }
}
