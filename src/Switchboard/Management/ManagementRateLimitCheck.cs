using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.RateLimiting;

namespace Switchboard.Management;

/// <summary>
/// Refuses management calls over <c>Switchboard:RateLimits:ManagementRequests</c> with 429
/// <c>LimitExceededException</c> and API Gateway's throttling message, so the AWS SDKs raise their usual exception (and
/// retry it as throttling). Refusals are logged at most once per <see cref="ManagementEndpoints.RefusalLogInterval"/>.
/// </summary>
internal sealed class ManagementRateLimitCheck(GatewayRateLimits rateLimits, SwitchboardMetrics metrics, ILogger logger, TimeProvider time) : IManagementAccessCheck
{
    /// <summary>429 as API Gateway throttles: <c>LimitExceededException</c>, <c>{"message":"Too Many Requests"}</c>.</summary>
    internal static ManagementError TooManyRequests { get; } = new(StatusCodes.Status429TooManyRequests, "LimitExceededException", "Too Many Requests");

    private readonly LogThrottle _refusals = new(time, ManagementEndpoints.RefusalLogInterval);

    public ValueTask<ManagementError?> CheckAsync(HttpContext context)
    {
        if (rateLimits.TryAcceptManagementCall())
        {
            return ValueTask.FromResult<ManagementError?>(null);
        }

        metrics.RequestRefused("RateLimits:ManagementRequests");
        if (_refusals.TryEnter(out var suppressed))
        {
            Log.ManagementRateLimited(logger, suppressed);
        }

        return ValueTask.FromResult<ManagementError?>(TooManyRequests);
    }
}
