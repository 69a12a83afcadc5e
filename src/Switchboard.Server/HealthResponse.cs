using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Server;

/// <summary>
/// The body of the health endpoints: <c>{"status":"Healthy|Degraded|Unhealthy","failing":["redis"],"checks":{"redis":{"status":…,"description":…,"data":{…}}}}</c>.
/// <c>/health</c> writes it without <c>failing</c>, byte for byte as before that list existed. The status code is the
/// endpoint's: on <c>/health</c> 200 for Healthy and Degraded (the node still serves its connections), 503 for
/// Unhealthy; on <c>/@health/ready</c> 503 unless Healthy.
/// </summary>
/// <param name="Status">The worst status of all checks.</param>
/// <param name="Failing">The names of the checks that are not Healthy, in registration order; null (left out) on <c>/health</c>.</param>
/// <param name="Checks">Each check by its registered name.</param>
internal sealed record HealthResponse(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Failing,
    IReadOnlyDictionary<string, HealthCheckResponse> Checks)
{
    /// <summary>The <see cref="Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions.ResponseWriter"/> of <c>/health</c>: no <c>failing</c> list.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report) => WriteAsync(context, From(report, listFailing: false));

    /// <summary>The response writer of <c>/@health/live</c> and <c>/@health/ready</c>: with the <c>failing</c> list.</summary>
    public static Task WriteWithFailingAsync(HttpContext context, HealthReport report) => WriteAsync(context, From(report, listFailing: true));

    public static HealthResponse From(HealthReport report, bool listFailing) =>
        new(
            report.Status.ToString(),
            listFailing ? report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy).Select(entry => entry.Key).ToList() : null,
            report.Entries.ToDictionary(entry => entry.Key, entry => HealthCheckResponse.From(entry.Value)));

    private static Task WriteAsync(HttpContext context, HealthResponse response)
    {
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(response, HealthJsonContext.Default.HealthResponse);
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
