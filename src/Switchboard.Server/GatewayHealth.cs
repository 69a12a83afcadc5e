using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Diagnostics;

namespace Switchboard.Server;

/// <summary>
/// The executable's health endpoints, under an <c>@</c> segment that no stage name or base path can have (they are
/// letters, digits, '-' and '_'), and that the management API's root paths (<c>/@connections</c>, <c>/@broadcast</c>,
/// <c>/@stats</c>) do not use:
/// <list type="bullet">
/// <item><c>/@health/live</c>: 200 while the process serves requests; runs no check.</item>
/// <item><c>/@health/ready</c>: every check (<see cref="SwitchboardHealthChecks"/> and the backend's); 503 unless all
/// are Healthy, so a node that is shutting down, full, or cut off from its registry or backplane gets no new connections.</item>
/// <item><c>/health</c>: kept as before (the backend's checks, 503 only when Unhealthy) unless the WebSocket endpoint is
/// <c>/health</c> itself (a stage or base path named <c>health</c>), which then wins.</item>
/// </list>
/// </summary>
internal static partial class GatewayHealth
{
    public const string LivePath = "/@health/live";
    public const string ReadyPath = "/@health/ready";
    public const string LegacyPath = "/health";

    public static void Map(WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = HealthResponse.WriteWithFailingAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            ResponseWriter = HealthResponse.WriteWithFailingAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });

        var webSocketPath = ApiPath.WebSocket(app.Services.GetRequiredService<IOptions<SwitchboardOptions>>().Value);
        if (webSocketPath.Equals(LegacyPath, StringComparison.OrdinalIgnoreCase))
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayHealth).FullName!);
            LegacyPathTaken(logger, LegacyPath, ReadyPath);
            return;
        }

        app.MapHealthChecks(LegacyPath, new HealthCheckOptions
        {
            Predicate = static registration => !registration.Tags.Contains(SwitchboardHealthChecks.ReadinessTag),
            ResponseWriter = HealthResponse.WriteAsync,
        });
    }

    [LoggerMessage(EventId = 81, Level = LogLevel.Information, Message = "{LegacyPath} is the WebSocket endpoint of this stage, so it does not answer health checks; use {ReadyPath} and /@health/live")]
    private static partial void LegacyPathTaken(ILogger logger, string legacyPath, string readyPath);
}
