using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Connections;

namespace Switchboard.Diagnostics;

/// <summary>
/// Unhealthy once the node has begun to shut down (<see cref="NodeShutdown"/>): from the first step of the drain, while
/// Kestrel still listens, so readiness fails for the whole drain.
/// </summary>
internal sealed class ShutdownHealthCheck(NodeShutdown shutdown) : IHealthCheck
{
    private static readonly Task<HealthCheckResult> Running = Task.FromResult(HealthCheckResult.Healthy("running"));
    private static readonly Task<HealthCheckResult> Stopping = Task.FromResult(HealthCheckResult.Unhealthy("shutting down: open connections are being closed"));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        shutdown.HasBegun ? Stopping : Running;
}
