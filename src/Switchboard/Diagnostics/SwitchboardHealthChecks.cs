using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Connections;

namespace Switchboard.Diagnostics;

/// <summary>
/// The gateway's readiness checks, registered by <c>AddSwitchboard</c> with ASP.NET Core's health checks and tagged
/// <see cref="ReadinessTag"/>: <c>shutdown</c> (unhealthy from the moment the host starts stopping, before connections
/// are drained, so a load balancer stops sending new ones), <c>connection_cap</c> (unhealthy while the node holds
/// <c>Switchboard:Limits:MaxConnections</c>), <c>registry</c> (unhealthy while the registry cannot be read). A backend's
/// own checks (<c>redis</c>) come on top. The Switchboard executable serves them at <c>/@health/ready</c>; an
/// embedding application maps them where it likes: <c>app.MapHealthChecks("/ready")</c>.
/// </summary>
public static class SwitchboardHealthChecks
{
    /// <summary>The tag of the checks that say whether the node should get new connections.</summary>
    public const string ReadinessTag = "switchboard-ready";

    /// <summary>How long the registry check may take before it counts as failed.</summary>
    internal static readonly TimeSpan RegistryTimeout = TimeSpan.FromSeconds(5);

    internal static void Add(IServiceCollection services) =>
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration(
                "shutdown",
                static provider => new ShutdownHealthCheck(provider.GetRequiredService<NodeShutdown>()),
                HealthStatus.Unhealthy,
                [ReadinessTag]))
            .Add(new HealthCheckRegistration(
                "connection_cap",
                static provider => new ConnectionCapHealthCheck(provider.GetRequiredService<ConnectionBudget>(), provider.GetRequiredService<SwitchboardMetrics>()),
                HealthStatus.Unhealthy,
                [ReadinessTag]))
            .Add(new HealthCheckRegistration(
                "registry",
                static provider => new RegistryHealthCheck(provider.GetRequiredService<MeasuredConnectionRegistry>()),
                HealthStatus.Unhealthy,
                [ReadinessTag],
                RegistryTimeout));
}
