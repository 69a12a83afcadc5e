using Switchboard.Security;

namespace Switchboard.Configuration;

/// <summary>The checks of <c>Switchboard:Security</c> and <c>Switchboard:RateLimits</c>, part of <see cref="SwitchboardOptionsValidator"/>.</summary>
internal static class NetworkOptionsValidation
{
    public static void Validate(SwitchboardOptions options, Action<string, string> error)
    {
        var security = options.Security;
        for (var i = 0; i < security.AllowedOrigins.Count; i++)
        {
            if (!SwitchboardOptionsValidator.IsOrigin(security.AllowedOrigins[i]))
            {
                error($"Security:AllowedOrigins:{i}", $"'{security.AllowedOrigins[i]}' is not a web origin (http or https, host and optional port, no path: https://app.example.com)");
            }
        }

        for (var i = 0; i < security.TrustedProxies.Count; i++)
        {
            if (!TrustedProxies.TryParse(security.TrustedProxies[i], out _))
            {
                error($"Security:TrustedProxies:{i}", $"'{security.TrustedProxies[i]}' is not an IP address or a network in CIDR notation with no host bits set (10.0.0.5, 10.0.0.0/8, fd00::/8)");
            }
        }

        var limits = options.RateLimits;
        Bucket(nameof(limits.Connections), limits.Connections, error);
        Bucket(nameof(limits.ConnectionsPerAddress), limits.ConnectionsPerAddress, error);
        Bucket(nameof(limits.MessagesPerConnection), limits.MessagesPerConnection, error);
        Bucket(nameof(limits.ManagementRequests), limits.ManagementRequests, error);
        Bucket(nameof(limits.IntegrationCallsPerRoute), limits.IntegrationCallsPerRoute, error);
        if (limits.MaxTrackedAddresses <= 0)
        {
            error("RateLimits:MaxTrackedAddresses", $"must be positive (got {limits.MaxTrackedAddresses})");
        }
    }

    private static void Bucket(string name, TokenBucketOptions bucket, Action<string, string> error)
    {
        var key = $"RateLimits:{name}";
        if (bucket.PerSecond < 0)
        {
            error($"{key}:PerSecond", $"must be zero (off) or positive (got {bucket.PerSecond})");
        }

        if (bucket.Burst < 0)
        {
            error($"{key}:Burst", $"must be zero (same as PerSecond) or positive (got {bucket.Burst})");
        }
        else if (bucket.Burst > 0 && bucket.PerSecond == 0)
        {
            error($"{key}:Burst", $"has no effect without {key}:PerSecond");
        }
        else if (bucket.Burst > 0 && bucket.Burst < bucket.PerSecond)
        {
            error($"{key}:Burst", $"{bucket.Burst} is less than PerSecond ({bucket.PerSecond}); tokens are added once a second, so the bucket must hold at least a second's worth");
        }
    }
}
