using Switchboard.Integrations.Lambda;

namespace Switchboard.Tests.Integrations;

/// <summary>Which credentials a <c>lambda</c> integration signs with: configured keys, else the AWS SDK's chain for AWS's endpoint, else none.</summary>
[Collection(ProcessEnvironmentTests.Name)]
public sealed class LambdaCredentialsTests
{
    private static readonly Uri AwsEndpoint = new("https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/chat/invocations");
    private static readonly Uri EmulatorEndpoint = new("http://127.0.0.1:3002/2015-03-31/functions/chat/invocations");

    [Fact]
    public async Task ConfiguredKeys_AreUsedForAnyEndpoint()
    {
        var variables = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AKIDCONFIGURED",
            ["AWS_SECRET_ACCESS_KEY"] = "configured-secret",
            ["AWS_SESSION_TOKEN"] = "configured-token",
        };
        foreach (var endpoint in new[] { AwsEndpoint, EmulatorEndpoint })
        {
            var credentials = await LambdaCredentials.For(endpoint, variables.GetValueOrDefault).GetAsync(CancellationToken.None);
            Assert.Equal(("AKIDCONFIGURED", "configured-secret", "configured-token"), (credentials!.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken));
        }
    }

    [Fact]
    public async Task AnEmulatorWithoutKeys_IsCalledUnsigned()
    {
        Assert.Null(await LambdaCredentials.For(EmulatorEndpoint, _ => null).GetAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("https://lambda.us-east-1.amazonaws.com", true)]
    [InlineData("https://lambda.cn-north-1.amazonaws.com.cn", true)]
    [InlineData("https://LAMBDA.EU-WEST-1.AMAZONAWS.COM", true)]
    [InlineData("http://127.0.0.1:3001", false)]
    [InlineData("http://amazonaws.com.example.net", false)]
    [InlineData("http://localstack:4566", false)]
    public void AwsEndpoints_AreToldFromEmulators(string endpoint, bool isAws) =>
        Assert.Equal(isAws, LambdaCredentials.IsAwsEndpoint(new Uri(endpoint)));

    /// <summary>
    /// AWS's endpoint without configured keys: the SDK's chain, here a named profile in a shared credentials file, as
    /// on a laptop with <c>AWS_PROFILE</c>. (Instance and container roles come through the same chain.)
    /// </summary>
    [Fact]
    public async Task AwsEndpointWithoutKeys_UsesTheSdkChain_AProfileFromTheSharedCredentialsFile()
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-aws-");
        var credentialsFile = Path.Combine(directory.FullName, "credentials");
        await File.WriteAllTextAsync(credentialsFile, """
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = default-secret

            [switchboard-test]
            aws_access_key_id = AKIDPROFILE
            aws_secret_access_key = profile-secret
            aws_session_token = profile-token
            """);
        var saved = new Dictionary<string, string?>();
        void Set(string name, string? value)
        {
            saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
            Environment.SetEnvironmentVariable(name, value);
        }

        string? savedLocation = null, savedProfile = null;
        try
        {
            Set("AWS_ACCESS_KEY_ID", null);
            Set("AWS_SECRET_ACCESS_KEY", null);
            Set("AWS_SESSION_TOKEN", null);
            Set("AWS_SHARED_CREDENTIALS_FILE", credentialsFile);
            Set("AWS_CONFIG_FILE", Path.Combine(directory.FullName, "config"));
            Set("AWS_PROFILE", "switchboard-test");
            Set("AWS_EC2_METADATA_DISABLED", "true");

            // The SDK reads these variables into AWSConfigs once per process; other tests may have loaded it already.
            (savedLocation, savedProfile) = (Amazon.AWSConfigs.AWSProfilesLocation, Amazon.AWSConfigs.AWSProfileName);
            (Amazon.AWSConfigs.AWSProfilesLocation, Amazon.AWSConfigs.AWSProfileName) = (credentialsFile, "switchboard-test");

            var source = LambdaCredentials.For(AwsEndpoint, _ => null);
            Assert.IsType<LambdaCredentials.SdkDefaultChain>(source);
            var credentials = await source.GetAsync(CancellationToken.None);
            Assert.Equal(("AKIDPROFILE", "profile-secret", "profile-token"), (credentials!.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken));
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            (Amazon.AWSConfigs.AWSProfilesLocation, Amazon.AWSConfigs.AWSProfileName) = (savedLocation, savedProfile);

            directory.Delete(recursive: true);
        }
    }
}

/// <summary>Tests that change the process's environment variables run on their own, after the others, so no other test sees the change.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentTests
{
    public const string Name = "Process environment";
}
