using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Switchboard.Diagnostics;

/// <summary>
/// Unhealthy once <see cref="IHostApplicationLifetime.ApplicationStopping"/> has fired: that is before the gateway
/// closes its connections and before Kestrel stops listening, so readiness fails for the whole drain.
/// </summary>
internal sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    private static readonly Task<HealthCheckResult> Running = Task.FromResult(HealthCheckResult.Healthy("running"));
    private static readonly Task<HealthCheckResult> Stopping = Task.FromResult(HealthCheckResult.Unhealthy("shutting down: open connections are being closed"));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        lifetime.ApplicationStopping.IsCancellationRequested ? Stopping : Running;
}
