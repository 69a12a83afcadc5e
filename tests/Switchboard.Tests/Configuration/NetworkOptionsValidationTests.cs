using Switchboard.Configuration;

namespace Switchboard.Tests.Configuration;

public sealed class NetworkOptionsValidationTests
{
    private static List<string> Validate(SwitchboardOptions options)
    {
        var errors = new List<string>();
        NetworkOptionsValidation.Validate(options, (key, message) => errors.Add($"{key}: {message}"));
        return errors;
    }

    [Fact]
    public void Defaults_AreValid() => Assert.Empty(Validate(new SwitchboardOptions()));

    [Fact]
    public void GoodValues_AreValid()
    {
        var options = new SwitchboardOptions
        {
            Security = new SecurityOptions { AllowedOrigins = ["https://app.example", "http://localhost:5173/"], TrustedProxies = ["10.0.0.5", "10.0.0.0/8", "::1", "fd00::/8"] },
            RateLimits = new RateLimitsOptions { Connections = new TokenBucketOptions { PerSecond = 500, Burst = 1000 }, MessagesPerConnection = new TokenBucketOptions { PerSecond = 10 } },
        };

        Assert.Empty(Validate(options));
    }

    [Fact]
    public void BadValues_AreNamedWithTheirKeys()
    {
        var options = new SwitchboardOptions
        {
            Security = new SecurityOptions { AllowedOrigins = ["app.example", "https://app.example/path"], TrustedProxies = ["10.0.0.0/33", "proxy.internal", "10.0.0.1/8"] },
            RateLimits = new RateLimitsOptions
            {
                Connections = new TokenBucketOptions { PerSecond = -1 },
                ConnectionsPerAddress = new TokenBucketOptions { PerSecond = 10, Burst = 5 },
                MessagesPerConnection = new TokenBucketOptions { Burst = 3 },
                ManagementRequests = new TokenBucketOptions { PerSecond = 1, Burst = -2 },
                MaxTrackedAddresses = 0,
            },
        };

        var errors = Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Security:AllowedOrigins:0: 'app.example' is not a web origin", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Security:AllowedOrigins:1:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Security:TrustedProxies:0: '10.0.0.0/33' is not an IP address or a network", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Security:TrustedProxies:1: 'proxy.internal'", StringComparison.Ordinal));
        // 10.0.0.1/8 has host bits set: IPNetwork refuses it rather than guess which network was meant.
        Assert.Contains(errors, e => e.StartsWith("Security:TrustedProxies:2:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RateLimits:Connections:PerSecond: must be zero (off) or positive (got -1)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RateLimits:ConnectionsPerAddress:Burst: 5 is less than PerSecond (10)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RateLimits:MessagesPerConnection:Burst: has no effect without", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RateLimits:ManagementRequests:Burst: must be zero", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RateLimits:MaxTrackedAddresses: must be positive", StringComparison.Ordinal));
        Assert.Equal(10, errors.Count);
    }
}
