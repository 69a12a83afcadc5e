using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Server;

/// <summary>
/// The body of the health endpoints: <c>{"status":"Healthy|Degraded|Unhealthy","failing":["redis"],"checks":{"redis":{"status":…,"description":…,"data":{…}}}}</c>.
/// The status code is the endpoint's: on <c>/health</c> 200 for Healthy and Degraded (the node still serves its
/// connections), 503 for Unhealthy; on <c>/@health/ready</c> 503 unless Healthy.
/// </summary>
/// <param name="Status">The worst status of all checks.</param>
/// <param name="Failing">The names of the checks that are not Healthy, in registration order.</param>
/// <param name="Checks">Each check by its registered name.</param>
internal sealed record HealthResponse(string Status, IReadOnlyList<string> Failing, IReadOnlyDictionary<string, HealthCheckResponse> Checks)
{
    /// <summary>The <see cref="Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions.ResponseWriter"/> of the health endpoints.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(From(report), HealthJsonContext.Default.HealthResponse);
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static HealthResponse From(HealthReport report) =>
        new(
            report.Status.ToString(),
            report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy).Select(entry => entry.Key).ToList(),
            report.Entries.ToDictionary(entry => entry.Key, entry => HealthCheckResponse.From(entry.Value)));
}
