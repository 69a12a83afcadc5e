using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Server;

/// <summary>One check of <see cref="HealthResponse"/>.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Description">What the check found; written as <c>null</c> when it said nothing.</param>
/// <param name="Data">The check's data: <see cref="int"/>, <see cref="long"/> and <see cref="double"/> values as JSON numbers, anything else as its invariant string.</param>
internal sealed record HealthCheckResponse(string Status, string? Description, IReadOnlyDictionary<string, object> Data)
{
    public static HealthCheckResponse From(HealthReportEntry entry) =>
        new(entry.Status.ToString(), entry.Description, entry.Data.ToDictionary(item => item.Key, item => NumberOrText(item.Value)));

    private static object NumberOrText(object value) =>
        value is int or long or double ? value : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
