using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Switchboard.Diagnostics;

/// <summary>
/// The gateway's instruments, all on one <see cref="Meter"/> named <c>Switchboard</c>, plus the running
/// totals the <c>@stats</c> endpoint reports. Every instrument of the library is declared here; docs/observability.md
/// lists them with their tags.
/// </summary>
/// <remarks>
/// Tags are low-cardinality by construction: route keys and integration kinds come from the configuration, outcomes,
/// reasons and operations are constants here, close codes are grouped (<see cref="CloseCodeTag"/>). No connection id,
/// address or message content is ever a tag. Durations are in seconds, as OpenTelemetry's conventions ask, with
/// explicit buckets for what each measures. Recording uses the overloads with up to three tags, which allocate nothing.
/// </remarks>
public sealed class SwitchboardMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to (OpenTelemetry's <c>AddMeter("Switchboard")</c>, dotnet-counters).</summary>
    public const string MeterName = "Switchboard";

    /// <summary>The <c>outcome</c> of a registry or backplane call that worked.</summary>
    internal const string Ok = "ok";

    /// <summary>The <c>outcome</c> of a registry or backplane call that failed (the store could not be reached).</summary>
    internal const string Error = "error";

    /// <summary>Integration calls: an in-process handler takes microseconds, an HTTP backend milliseconds to seconds, the longest timeout 15 minutes.</summary>
    private static readonly double[] IntegrationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    /// <summary>Registry, backplane and management calls: local SQLite or Redis round trips, sub-millisecond to a timeout of seconds.</summary>
    private static readonly double[] StoreBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Boxed once, so that tagging a management call with its status code allocates nothing.</summary>
    private static readonly object[] StatusCodes = Enumerable.Range(0, 600).Select(static code => (object)code).ToArray();

    private readonly Meter _meter;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsClosed;
    private readonly Counter<long> _connectionsRefused;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _messagesOut;
    private readonly Counter<long> _messagesDropped;
    private readonly Counter<long> _requestsRefused;
    private readonly Histogram<double> _integrationDuration;
    private readonly Histogram<double> _managementDuration;
    private readonly Histogram<double> _registryDuration;
    private readonly Histogram<double> _backplaneDuration;
    private long _openConnections;
    private long _totalMessagesIn;
    private long _totalMessagesOut;
    private int _storeAvailable = 1;

    /// <summary>Creates the instruments.</summary>
    public SwitchboardMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableUpDownCounter("switchboard.connections.open", () => Interlocked.Read(ref _openConnections), "{connection}", "Connections open on this node");
        _connectionsOpened = _meter.CreateCounter<long>("switchboard.connections.opened", "{connection}", "Connections accepted (handshake completed)");
        _connectionsClosed = _meter.CreateCounter<long>("switchboard.connections.closed", "{connection}", "Connections ended, by close_code (1000-1015 as such, 3xxx and 4xxx grouped)");
        _connectionsRefused = _meter.CreateCounter<long>("switchboard.connections.refused", "{connection}", "WebSocket handshakes refused, by reason");
        _messagesIn = _meter.CreateCounter<long>("switchboard.messages.in", "{message}", "Messages received from clients, by the route they selected");
        _messagesOut = _meter.CreateCounter<long>("switchboard.messages.out", "{message}", "Messages written to clients");
        _messagesDropped = _meter.CreateCounter<long>("switchboard.messages.dropped", "{message}", "Messages and pongs dropped because a client's outbound queue, or all of the node's together, was at its bound");
        _requestsRefused = _meter.CreateCounter<long>("switchboard.requests.refused", "{request}", "Handshakes, messages, integration calls and management calls refused by an origin list or a rate limit, by the setting that refused them");
        _integrationDuration = _meter.CreateHistogram(
            "switchboard.integration.duration", "s", "Integration call time, by route, kind and outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = IntegrationBuckets });
        _managementDuration = _meter.CreateHistogram(
            "switchboard.management.duration", "s", "Management API call time, by operation and status code", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreBuckets });
        _registryDuration = _meter.CreateHistogram(
            "switchboard.registry.duration", "s", "Connection registry call time, by operation and outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreBuckets });
        _backplaneDuration = _meter.CreateHistogram(
            "switchboard.backplane.duration", "s", "Backplane call time (operations carried to other nodes), by operation and outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreBuckets });
        _meter.CreateObservableGauge("switchboard.registry.available", () => Volatile.Read(ref _storeAvailable), unit: null, "1 while the last registry or backplane call worked, 0 after one failed (SQLite file or Redis unreachable)");
    }

    /// <summary>Connections open on this node.</summary>
    public long OpenConnections => Interlocked.Read(ref _openConnections);

    /// <summary>Messages received from clients since start.</summary>
    public long MessagesIn => Interlocked.Read(ref _totalMessagesIn);

    /// <summary>Messages written to clients since start.</summary>
    public long MessagesOut => Interlocked.Read(ref _totalMessagesOut);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _openConnections);
        _connectionsOpened.Add(1);
    }

    internal void ConnectionClosed(int closeCode)
    {
        Interlocked.Decrement(ref _openConnections);
        _connectionsClosed.Add(1, new KeyValuePair<string, object?>("close_code", CloseCodeTag(closeCode)));
    }

    /// <summary>Counts a refused handshake; <paramref name="reason"/> is one of <see cref="RefusalReasons"/>.</summary>
    internal void ConnectionRefused(string reason) => _connectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts a message for <c>@stats</c>, before its route is known.</summary>
    internal void MessageReceived() => Interlocked.Increment(ref _totalMessagesIn);

    /// <summary>Counts a message by the route it selected (<see cref="NoRoute"/>, <see cref="RateLimited"/> when none ran).</summary>
    internal void MessageRouted(string routeKey) => _messagesIn.Add(1, new KeyValuePair<string, object?>("route", routeKey));

    /// <summary>The <c>route</c> of messages that matched no route.</summary>
    internal const string NoRoute = "(none)";

    /// <summary>The <c>route</c> of messages dropped by <c>RateLimits:MessagesPerConnection</c> before route selection.</summary>
    internal const string RateLimited = "(rate limited)";

    internal void MessageOut()
    {
        Interlocked.Increment(ref _totalMessagesOut);
        _messagesOut.Add(1);
    }

    internal void MessageDropped() => _messagesDropped.Add(1);

    /// <summary>Counts a refusal; <paramref name="setting"/> is the configuration key that refused it (<c>RateLimits:ConnectionsPerAddress</c>).</summary>
    internal void RequestRefused(string setting) => _requestsRefused.Add(1, new KeyValuePair<string, object?>("setting", setting));

    internal void IntegrationCompleted(string routeKey, string kind, string outcome, TimeSpan elapsed) =>
        _integrationDuration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("route", routeKey),
            new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Records a management call that started at <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    internal void ManagementCompleted(string operation, int statusCode, long startedTimestamp) =>
        _managementDuration.Record(
            Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>("operation", operation),
            new KeyValuePair<string, object?>("http.response.status_code", (uint)statusCode < StatusCodes.Length ? StatusCodes[statusCode] : statusCode));

    /// <summary>Records a registry call that started at <paramref name="startedTimestamp"/>; <paramref name="outcome"/> is <see cref="Ok"/> or <see cref="Error"/>.</summary>
    internal void RegistryCompleted(string operation, string outcome, long startedTimestamp) => StoreCallCompleted(_registryDuration, operation, outcome, startedTimestamp);

    /// <summary>Records a backplane call that started at <paramref name="startedTimestamp"/>; <paramref name="outcome"/> is <see cref="Ok"/> or <see cref="Error"/>.</summary>
    internal void BackplaneCompleted(string operation, string outcome, long startedTimestamp) => StoreCallCompleted(_backplaneDuration, operation, outcome, startedTimestamp);

    private void StoreCallCompleted(Histogram<double> duration, string operation, string outcome, long startedTimestamp)
    {
        Volatile.Write(ref _storeAvailable, outcome == Ok ? 1 : 0);
        duration.Record(
            Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>("operation", operation),
            new KeyValuePair<string, object?>("outcome", outcome));
    }

    /// <summary>
    /// The <c>close_code</c> tag: the registered codes 1000–1015 as themselves, application codes grouped as
    /// <c>3xxx</c> and <c>4xxx</c> (a client may send any of 2,000 of them), anything else as <c>other</c>.
    /// </summary>
    internal static string CloseCodeTag(int code) => code switch
    {
        >= 1000 and <= 1015 => RegisteredCloseCodes[code - 1000],
        >= 3000 and <= 3999 => "3xxx",
        >= 4000 and <= 4999 => "4xxx",
        _ => "other",
    };

    private static readonly string[] RegisteredCloseCodes = Enumerable.Range(1000, 16).Select(static code => code.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    /// <summary>The <c>reason</c> tag of <c>switchboard.connections.refused</c>.</summary>
    internal static class RefusalReasons
    {
        /// <summary>The node is shutting down (503).</summary>
        public const string ShuttingDown = "shutting_down";

        /// <summary><c>Security:AllowedOrigins</c> refused the page's origin (403).</summary>
        public const string Origin = "origin";

        /// <summary>A connection rate limit (429).</summary>
        public const string RateLimited = "rate_limited";

        /// <summary>The node is at its connection cap (503).</summary>
        public const string Capacity = "capacity";

        /// <summary>The heap is at its high-water mark, <see cref="Connections.MemoryLimit.HighWaterPercent"/> of what the GC may use (503).</summary>
        public const string Memory = "memory";

        /// <summary>The <c>$connect</c> authorizer refused the caller (401/403).</summary>
        public const string Unauthorized = "unauthorized";

        /// <summary>The registry could not record the connection (503).</summary>
        public const string RegistryUnavailable = "registry_unavailable";

        /// <summary>The <c>$connect</c> route refused or failed (its status, or 500/504).</summary>
        public const string ConnectRoute = "connect_route";
    }
}
