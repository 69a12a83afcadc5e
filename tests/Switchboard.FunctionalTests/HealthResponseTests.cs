using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Server;

namespace Switchboard.FunctionalTests;

/// <summary>The exact body of the executable's <c>/health</c>, which load balancers and operators' scripts parse.</summary>
public sealed class HealthResponseTests
{
    [Fact]
    public async Task Body_HasStatusAndEveryCheck_WithNumbersAsNumbers_OtherDataAsStrings_AndNullDescriptions()
    {
        var report = Report();
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await HealthResponse.WriteAsync(context, report);

        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal(
            """{"status":"Degraded","checks":{"redis":{"status":"Degraded","description":"Redis unreachable for 1.5 s: \u0022node-\u00FC\u0022 keeps \u003C3\u003E connection(s) \u0026 more","data":{"node":"node-\u00FC","localConnections":3,"heldTotal":5000000000,"heartbeatAgeSeconds":1.5,"wholeSeconds":2,"connected":"False","timeout":"00:00:15"}},"quiet":{"status":"Healthy","description":null,"data":{}}}}""",
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task ReadinessBody_ListsTheChecksThatAreNotHealthy_BeforeTheChecks()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await HealthResponse.WriteWithFailingAsync(context, Report());

        Assert.StartsWith("""{"status":"Degraded","failing":["redis"],"checks":{"redis":{"status":"Degraded",""", Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    private static HealthReport Report() =>
        new(
            new Dictionary<string, HealthReportEntry>
            {
                ["redis"] = new(
                    HealthStatus.Degraded,
                    "Redis unreachable for 1.5 s: \"node-ü\" keeps <3> connection(s) & more",
                    TimeSpan.FromMilliseconds(3),
                    exception: null,
                    data: new Dictionary<string, object>
                    {
                        ["node"] = "node-ü",
                        ["localConnections"] = 3,
                        ["heldTotal"] = 5_000_000_000L,
                        ["heartbeatAgeSeconds"] = 1.5,
                        ["wholeSeconds"] = 2.0,
                        ["connected"] = false,
                        ["timeout"] = TimeSpan.FromSeconds(15),
                    }),
                ["quiet"] = new(HealthStatus.Healthy, description: null, TimeSpan.Zero, exception: null, data: null),
            },
            TimeSpan.FromMilliseconds(4));
}
