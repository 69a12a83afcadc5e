using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Connections;

namespace Switchboard.Diagnostics;

/// <summary>
/// Unhealthy while the node holds as many connections as its budget allows (<c>Switchboard:Limits:MaxConnections</c>,
/// or the one derived from the open-file limit): new handshakes would be refused with 503.
/// </summary>
internal sealed class ConnectionCapHealthCheck(ConnectionBudget budget, SwitchboardMetrics metrics) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var open = metrics.OpenConnections;
        if (!budget.IsLimited)
        {
            return Task.FromResult(HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{open} connection(s) open, no cap")));
        }

        var data = new Dictionary<string, object> { ["open"] = open, ["max"] = budget.MaxConnections };
        return Task.FromResult(open >= budget.MaxConnections
            ? HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture, $"at the connection cap: {open} of {budget.MaxConnections} open"), data: data)
            : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{open} of {budget.MaxConnections} connection(s) open"), data));
    }
}
