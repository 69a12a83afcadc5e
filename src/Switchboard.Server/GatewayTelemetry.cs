using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchboard.Configuration;
using Switchboard.Diagnostics;
using Switchboard.Management;
using Switchboard.Security;

namespace Switchboard.Server;

/// <summary>
/// The executable's metrics and trace export, from <c>Switchboard:Telemetry</c>: the library's meter plus .NET's runtime and
/// process metrics (<c>System.Runtime</c>) and Kestrel's, to a Prometheus scrape endpoint and/or an OTLP collector; with
/// OTLP, the library's spans (<see cref="SwitchboardActivities.SourceName"/>) too, with ASP.NET Core's and HttpClient's.
/// With both off (the default) OpenTelemetry is not set up at all, so nothing listens to the instruments or the spans.
/// </summary>
internal static class GatewayTelemetry
{
    /// <summary>The meters exported besides <see cref="SwitchboardMetrics.MeterName"/>: .NET's runtime and process metrics, Kestrel's connection metrics.</summary>
    private static readonly string[] PlatformMeters = ["System.Runtime", "Microsoft.AspNetCore.Server.Kestrel"];

    public static void Add(ISwitchboardBuilder switchboard)
    {
        var configuration = switchboard.Configuration;
        switchboard.AddSettings<ServerTelemetryOptions>(ServerTelemetryOptions.Section);
        switchboard.Services.AddSingleton<IValidateOptions<ServerTelemetryOptions>, TelemetryValidator>();

        // What to wire is decided from the raw settings; a value of the wrong type is reported by the section's check
        // (with its key) at startup, so here it only has to mean "off".
        var section = ServerTelemetryOptions.Section.FullPath;
        var prometheus = bool.TryParse(configuration[$"{section}:Prometheus:Enabled"], out var enabled) && enabled;
        var otlp = !string.IsNullOrWhiteSpace(configuration[$"{section}:Otlp:Endpoint"]);
        if (!prometheus && !otlp)
        {
            return;
        }

        switchboard.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("switchboard"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SwitchboardMetrics.MeterName).AddMeter(PlatformMeters);
                if (prometheus)
                {
                    // No response cache: a scrape shows what happened up to it (scrapers ask every few seconds at most).
                    metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter((exporter, reader) => ConfigureOtlp(configuration, exporter, "/v1/metrics", reader.PeriodicExportingMetricReaderOptions));
                }
            });
        if (otlp)
        {
            // A span is kept when its parent was (a client's sampled traceparent) and otherwise for this share of new traces.
            var ratio = double.TryParse(configuration[$"{section}:Otlp:TracesSampleRatio"], System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 1.0;
            switchboard.Services.AddOpenTelemetry().WithTracing(tracing => tracing
                .AddSource(SwitchboardActivities.SourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(ratio, 0, 1))))
                .AddOtlpExporter(exporter => ConfigureOtlp(configuration, exporter, "/v1/traces", periodic: null)));
        }
    }

    /// <summary>Maps the scrape endpoint when it is enabled, behind the loopback check unless <c>AllowRemote</c>.</summary>
    public static void MapScrapeEndpoint(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ServerTelemetryOptions>>().Value.Prometheus;
        if (!options.Enabled)
        {
            return;
        }

        var scrape = app.MapPrometheusScrapingEndpoint(options.Path);
        if (options.AllowRemote)
        {
            return;
        }

        var loopbackOnly = new LoopbackCallerCheck(
            app.Services.GetRequiredService<TrustedProxies>(),
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayTelemetry).FullName!),
            app.Services.GetRequiredService<TimeProvider>());
        scrape.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = async context =>
            {
                if (await loopbackOnly.CheckAsync(context).ConfigureAwait(false) is { } refusal)
                {
                    await refusal.WriteAsync(context).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            };
        });
    }

    private static void ConfigureOtlp(IConfiguration configuration, OtlpExporterOptions exporter, string signalPath, PeriodicExportingMetricReaderOptions? periodic)
    {
        var options = new ServerTelemetryOptions();
        configuration.GetSection(ServerTelemetryOptions.Section.FullPath).Bind(options);
        var http = options.Otlp.Protocol.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase);
        exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // The exporter takes the endpoint as the full URL for http/protobuf: the signal's path is the collector's standard one.
        var endpoint = new Uri(options.Otlp.Endpoint!, UriKind.Absolute);
        exporter.Endpoint = http ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + signalPath) : endpoint;
        if (periodic is not null)
        {
            periodic.ExportIntervalMilliseconds = (int)options.Otlp.ExportInterval.TotalMilliseconds;
        }
    }

    /// <summary>Every problem of the section, each with its key.</summary>
    internal static IEnumerable<string> Problems(ServerTelemetryOptions telemetry, SwitchboardOptions gateway)
    {
        var section = ServerTelemetryOptions.Section.FullPath;
        var path = telemetry.Prometheus.Path;
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains("//", StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal))
        {
            yield return $"{section}:Prometheus:Path: '{path}' is not a path (it starts with '/': \"{PrometheusTelemetryOptions.DefaultPath}\")";
        }
        else if (path.TrimEnd('/').Equals(ApiPath.WebSocket(gateway).TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{section}:Prometheus:Path: '{path}' is the WebSocket endpoint's path; choose another (\"{PrometheusTelemetryOptions.DefaultPath}\")";
        }

        if (telemetry.Otlp.Endpoint is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return $"{section}:Otlp:Endpoint: '{endpoint}' is not an http or https URL (\"http://127.0.0.1:4318\")";
        }

        if (!OtlpTelemetryOptions.Protocols.Contains(telemetry.Otlp.Protocol, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{section}:Otlp:Protocol: unknown protocol '{telemetry.Otlp.Protocol}' (expected one of: {string.Join(", ", OtlpTelemetryOptions.Protocols)})";
        }

        if (telemetry.Otlp.TracesSampleRatio is < 0 or > 1 or double.NaN)
        {
            yield return $"{section}:Otlp:TracesSampleRatio: {telemetry.Otlp.TracesSampleRatio} is out of range (from 0, no new traces, to 1, every trace)";
        }

        if (telemetry.Otlp.ExportInterval < TimeSpan.FromSeconds(1) || telemetry.Otlp.ExportInterval > TimeSpan.FromDays(1))
        {
            yield return $"{section}:Otlp:ExportInterval: {telemetry.Otlp.ExportInterval} is out of range (from 00:00:01 to 1.00:00:00)";
        }
    }

    private sealed class TelemetryValidator(IOptions<SwitchboardOptions> gateway) : IValidateOptions<ServerTelemetryOptions>
    {
        public ValidateOptionsResult Validate(string? name, ServerTelemetryOptions options)
        {
            var problems = Problems(options, gateway.Value).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
