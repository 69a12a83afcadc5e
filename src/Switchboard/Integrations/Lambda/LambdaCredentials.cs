using Amazon.Runtime.Credentials;
using Switchboard.Management.Authentication;

namespace Switchboard.Integrations.Lambda;

/// <summary>Where a <c>lambda</c> integration's signing credentials come from; <see langword="null"/> means "send unsigned".</summary>
internal abstract class LambdaCredentials
{
    /// <summary>The credentials for the next call. May refresh temporary credentials; never returns expired ones.</summary>
    public abstract ValueTask<AwsCredentials?> GetAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Chooses the source for an integration:
    /// <list type="number">
    /// <item><c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>(/<c>AWS_SESSION_TOKEN</c>) in the configuration or
    /// environment: those, as they are;</item>
    /// <item>otherwise, for AWS's own endpoint: the AWS SDK's default chain (shared config and credentials files with
    /// <c>AWS_PROFILE</c>, SSO, web identity, ECS/EKS container credentials, the EC2 instance role), refreshed as they expire;</item>
    /// <item>otherwise (an emulator's endpoint): none. Emulators do not check signatures, and probing the instance
    /// metadata service on a laptop would delay every first call.</item>
    /// </list>
    /// </summary>
    public static LambdaCredentials For(Uri endpoint, Func<string, string?> variable) =>
        AwsCredentials.From(variable) is { } fixedCredentials ? new Fixed(fixedCredentials)
        : IsAwsEndpoint(endpoint) ? new SdkDefaultChain()
        : new Fixed(null);

    /// <summary>True for AWS's Lambda endpoints (<c>*.amazonaws.com</c>, and the China regions' <c>*.amazonaws.com.cn</c>).</summary>
    public static bool IsAwsEndpoint(Uri endpoint) =>
        endpoint.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase)
        || endpoint.Host.EndsWith(".amazonaws.com.cn", StringComparison.OrdinalIgnoreCase);

    private sealed class Fixed(AwsCredentials? credentials) : LambdaCredentials
    {
        public override ValueTask<AwsCredentials?> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(credentials);
    }

    /// <summary>The AWS SDK's resolver, found on the first call (not at startup: it may query a metadata service) and cached by the SDK.</summary>
    internal sealed class SdkDefaultChain : LambdaCredentials
    {
        public override async ValueTask<AwsCredentials?> GetAsync(CancellationToken cancellationToken)
        {
            Amazon.Runtime.AWSCredentials source;
            try
            {
                source = await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().ConfigureAwait(false);
            }
            catch (Amazon.Runtime.AmazonClientException exception)
            {
                throw new LambdaCredentialsException($"no AWS credentials found (environment, AWS_PROFILE and credential files, SSO, web identity, container or instance role): {exception.Message}", exception);
            }

            var credentials = await source.GetCredentialsAsync().ConfigureAwait(false);
            return new AwsCredentials(credentials.AccessKey, credentials.SecretKey, credentials.UseToken ? credentials.Token : null);
        }
    }
}

/// <summary>No credentials could be found for a call to AWS's Lambda endpoint: the call fails with this message.</summary>
internal sealed class LambdaCredentialsException(string message, Exception inner) : Exception(message, inner);
