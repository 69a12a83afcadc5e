using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Server;

/// <summary>
/// The body of <c>/health</c>: <c>{"status":"Healthy|Degraded|Unhealthy","checks":{"redis":{"status":…,"description":…,"data":{…}}}}</c>.
/// The status code is ASP.NET Core's: 200 for Healthy and Degraded (the node still serves its connections), 503 for Unhealthy.
/// </summary>
/// <param name="Status">The worst status of all checks.</param>
/// <param name="Checks">Each check by its registered name.</param>
internal sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthCheckResponse> Checks)
{
    /// <summary>The <see cref="Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions.ResponseWriter"/> of <c>/health</c>.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(From(report), HealthJsonContext.Default.HealthResponse);
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static HealthResponse From(HealthReport report) =>
        new(report.Status.ToString(), report.Entries.ToDictionary(entry => entry.Key, entry => HealthCheckResponse.From(entry.Value)));
}
