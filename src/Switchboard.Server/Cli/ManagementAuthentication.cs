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

        if (AwsCredentials.From(environment) is { } credentials)
        {
            var region = environment("AWS_REGION") is { Length: > 0 } named ? named : environment("AWS_DEFAULT_REGION") is { Length: > 0 } fallback ? fallback : DefaultRegion;
            return new Signature(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken, region);
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
        public override Task ApplyAsync(HttpRequestMessage request, DateTimeOffset now, CancellationToken cancellationToken) =>
            SigV4Signer.SignAsync(request, new AwsCredentials(AccessKeyId, SecretAccessKey, SessionToken), Region, ManagementAuthenticationCheck.Service, now, cancellationToken);

        // Never printed, whatever prints this record.
        public override string ToString() => $"Signature {{ AccessKeyId = {AccessKeyId}, Region = {Region} }}";
    }
}
