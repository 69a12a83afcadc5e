using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Registry;

namespace Switchboard.Diagnostics;

/// <summary>
/// Reads one (absent) entry from the registry: unhealthy when that fails with <see cref="RegistryUnavailableException"/>
/// (the SQLite file or Redis cannot be reached) or takes longer than the registration's timeout. The read goes
/// through the measured registry, so each probe also refreshes <c>switchboard.registry.available</c>.
/// </summary>
internal sealed class RegistryHealthCheck(IConnectionRegistry registry) : IHealthCheck
{
    /// <summary>An id no connection has: 15 characters, and every connection id has <see cref="Connections.ConnectionId.Length"/> (16).</summary>
    private const string ProbeId = "readiness-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await registry.GetAsync(ProbeId, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("registry reachable");
        }
        catch (RegistryUnavailableException exception)
        {
            return HealthCheckResult.Unhealthy("registry unreachable: " + exception.Message);
        }
    }
}
