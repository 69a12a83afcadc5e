using Switchboard.Configuration;

namespace Switchboard.Server;

/// <summary>
/// The executable's metrics and trace exporters, <c>Switchboard:Telemetry</c>; both off by default. The instruments and
/// spans themselves are the library's (meter and activity source <c>Switchboard</c>); an embedding application exports
/// them with its own OpenTelemetry setup.
/// </summary>
internal sealed class ServerTelemetryOptions
{
    public static SwitchboardConfigurationSection Section { get; } = new("Telemetry", typeof(ServerTelemetryOptions));

    /// <summary>A Prometheus scrape endpoint on the gateway's own listener.</summary>
    public PrometheusTelemetryOptions Prometheus { get; set; } = new();

    /// <summary>Pushing metrics and traces to an OpenTelemetry collector over OTLP.</summary>
    public OtlpTelemetryOptions Otlp { get; set; } = new();
}

/// <summary><c>Switchboard:Telemetry:Prometheus</c>.</summary>
internal sealed class PrometheusTelemetryOptions
{
    /// <summary>The default path: under an <c>@</c> segment, which no stage name or base path can have.</summary>
    public const string DefaultPath = "/@metrics";

    /// <summary>Serves the scrape endpoint (off by default).</summary>
    public bool Enabled { get; set; }

    /// <summary>Where: <c>/@metrics</c> unless set; must start with <c>/</c> and not be the WebSocket endpoint's path.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>
    /// False (default): only loopback callers may scrape (behind trusted proxies, the client they report), as for the
    /// management API. True: any caller that can reach the listener.
    /// </summary>
    public bool AllowRemote { get; set; }
}

/// <summary><c>Switchboard:Telemetry:Otlp</c>.</summary>
internal sealed class OtlpTelemetryOptions
{
    public static readonly string[] Protocols = ["http/protobuf", "grpc"];

    /// <summary>The collector: <c>http://127.0.0.1:4318</c> (http/protobuf, <c>/v1/metrics</c> and <c>/v1/traces</c> are appended) or <c>http://127.0.0.1:4317</c> (grpc). Unset: no export.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public string Protocol { get; set; } = "http/protobuf";

    /// <summary>How often metrics are pushed; at least one second.</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The share of new traces (handshakes without a sampled <c>traceparent</c>, messages, management calls) whose spans
    /// are exported, from 0 to 1 (default: every one). A span whose parent was sampled is always kept.
    /// </summary>
    public double TracesSampleRatio { get; set; } = 1.0;
}
