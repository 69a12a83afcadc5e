using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>The executable's metrics export (<c>Switchboard:Telemetry</c>): the Prometheus scrape endpoint and OTLP push.</summary>
/// <remarks>
/// Alone, not beside other tests: OpenTelemetry subscribes to meters by name, so a gateway host in this process would
/// also collect the <c>Switchboard</c> meter of every other host running at the time, and lose series registered through
/// one that stops — the counts and series asserted here would depend on the tests that happen to run alongside.
/// </remarks>
[Collection(MetricsAlone.Name)]
public sealed partial class TelemetryTests
{
    private const string AllowedOrigin = "https://app.example.com";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Scrape_AfterTraffic_HasEveryInstrument_WithPlausibleValues()
    {
        await using var host = await StartWithTrafficAsync();

        var scrape = await ScrapeAsync(host);

        Assert.Equal(0, Value(scrape, "switchboard_connections_open"));
        Assert.Equal(2, Value(scrape, "switchboard_connections_opened_total"));
        Assert.Equal(1, Value(scrape, "switchboard_connections_closed_total", "close_code=\"1000\""));
        Assert.Equal(1, Value(scrape, "switchboard_connections_closed_total", "close_code=\"1006\""));
        Assert.Equal(1, Value(scrape, "switchboard_connections_refused_total", "reason=\"origin\""));
        Assert.Equal(1, Value(scrape, "switchboard_requests_refused_total", "setting=\"Security:AllowedOrigins\""));
        Assert.Equal(2, Value(scrape, "switchboard_messages_in_total", "route=\"echo\""));
        Assert.Equal(1, Value(scrape, "switchboard_messages_in_total", "route=\"$default\""));
        Assert.Equal(1, Value(scrape, "switchboard_messages_in_total", "route=\"whoami\""));
        Assert.Equal(5, Value(scrape, "switchboard_messages_out_total"));
        Assert.Equal(2, Value(scrape, "switchboard_integration_duration_seconds_count", "route=\"echo\"", "kind=\"inprocess\"", "outcome=\"Succeeded\""));
        Assert.InRange(Value(scrape, "switchboard_integration_duration_seconds_sum", "route=\"echo\""), 0, 10);
        Assert.Equal(1, Value(scrape, "switchboard_management_duration_seconds_count", "operation=\"GetStats\"", "http_response_status_code=\"200\""));
        Assert.Equal(1, Value(scrape, "switchboard_management_duration_seconds_count", "operation=\"Broadcast\"", "http_response_status_code=\"200\""));
        Assert.Equal(1, Value(scrape, "switchboard_management_duration_seconds_count", "operation=\"GetConnection\"", "http_response_status_code=\"410\""));
        Assert.Equal(2, Value(scrape, "switchboard_registry_duration_seconds_count", "operation=\"add\"", "outcome=\"ok\""));
        Assert.Equal(1, Value(scrape, "switchboard_backplane_duration_seconds_count", "operation=\"broadcast\"", "outcome=\"ok\""));
        Assert.Equal(1, Value(scrape, "switchboard_registry_available"));
        // One series, no labels of its own (only the exporter's scope labels): the dashboard sums it as it is.
        var dropped = Assert.Single(scrape.Split('\n'), line => line.StartsWith("switchboard_messages_dropped_total", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"[{,](?!otel_scope_)[a-z_]+=", dropped);
        Assert.True(Value(scrape, "switchboard_messages_dropped_total") >= 1, dropped);
        Assert.True(Value(scrape, "dotnet_process_cpu_time_seconds_total", "cpu_mode=\"user\"") > 0, "runtime and process metrics are exported");
        Assert.True(Value(scrape, "dotnet_gc_heap_total_allocated_bytes_total") > 0);
    }

    [Fact]
    public async Task Dashboard_QueriesOnlySeriesTheScrapeHas()
    {
        await using var host = await StartWithTrafficAsync();
        var scrape = await ScrapeAsync(host);
        var scraped = SeriesName().Matches(scrape).Select(match => match.Value).ToHashSet(StringComparer.Ordinal);

        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docs", "grafana", "switchboard-dashboard.json")));
        var queried = Expressions(dashboard.RootElement)
            .SelectMany(expression => QueriedSeries().Matches(expression).Select(match => match.Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(queried);
        var missing = queried.Except(scraped).Order().ToList();
        Assert.True(missing.Count == 0, $"the dashboard queries series the scrape does not have: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Scrape_FromARemoteCaller_IsRefused_UnlessAllowRemote()
    {
        var settings = new Dictionary<string, string>
        {
            ["Switchboard:Telemetry:Prometheus:Enabled"] = "true",
            // The test's loopback connection is a trusted proxy reporting a remote client.
            ["Switchboard:Security:TrustedProxies:0"] = "127.0.0.1",
        };
        await using (var host = await GatewayHostInstance.StartAsync(settings))
        {
            using var remote = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUri, "@metrics"));
            remote.Headers.Add("X-Forwarded-For", "203.0.113.7");
            using var refused = await Http.SendAsync(remote);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("switchboard_", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        settings["Switchboard:Telemetry:Prometheus:AllowRemote"] = "true";
        settings["Switchboard:Telemetry:Prometheus:Path"] = "/internal/metrics";
        await using (var host = await GatewayHostInstance.StartAsync(settings))
        {
            using var remote = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUri, "internal/metrics"));
            remote.Headers.Add("X-Forwarded-For", "203.0.113.7");
            using var allowed = await Http.SendAsync(remote);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Contains("switchboard_connections_open", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Scrape_IsOffByDefault()
    {
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>());

        using var response = await Http.GetAsync(new Uri(host.BaseUri, "@metrics"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Otlp_Configured_PushesTheGatewayMetricsToTheCollector()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var collector = await StartCollectorAsync(received);

        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>
        {
            ["Switchboard:Telemetry:Otlp:Endpoint"] = collector.Urls.Single(),
            ["Switchboard:Telemetry:Otlp:ExportInterval"] = "00:00:01",
        });

        var body = await received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // OTLP/protobuf carries instrument names as plain UTF-8 strings.
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains("switchboard.connections.open", text, StringComparison.Ordinal);
        Assert.Contains("dotnet.process.cpu.time", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_Configured_PushesTheHandshakeSpanInTheClientsTrace()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var collector = await StartCollectorAsync(received, "/v1/traces");
        await using var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>
        {
            ["Switchboard:Telemetry:Otlp:Endpoint"] = collector.Urls.Single(),
            ["Switchboard:Telemetry:Otlp:TracesSampleRatio"] = "0",
        });

        // Sampled by the client: kept although the gateway starts no new trace of its own (ratio 0).
        var (client, traceId, _) = await TracingTests.ConnectTracedAsync(host.WebSocketUri("/production"));
        await using (client)
        {
            await client.CloseAsync();
        }

        // The batch exporter sends within five seconds; OTLP/protobuf carries names as UTF-8 and trace ids as 16 raw bytes.
        var body = await received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("$connect", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.Contains("switchboard.connection_id", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.True(body.AsSpan().IndexOf(Convert.FromHexString(traceId.ToHexString())) >= 0, "the export carries the client's trace id");
    }

    [Theory]
    [InlineData("Switchboard:Telemetry:Otlp:TracesSampleRatio", "1.5", "Switchboard:Telemetry:Otlp:TracesSampleRatio: 1.5 is out of range")]
    [InlineData("Switchboard:Telemetry:Otlp:Protocol", "carrier-pigeon", "Switchboard:Telemetry:Otlp:Protocol: unknown protocol 'carrier-pigeon'")]
    [InlineData("Switchboard:Telemetry:Otlp:Endpoint", "collector:4318", "Switchboard:Telemetry:Otlp:Endpoint: 'collector:4318' is not an http or https URL")]
    [InlineData("Switchboard:Telemetry:Prometheus:Path", "metrics", "Switchboard:Telemetry:Prometheus:Path: 'metrics' is not a path")]
    [InlineData("Switchboard:Telemetry:Prometheus:Path", "/production", "Switchboard:Telemetry:Prometheus:Path: '/production' is the WebSocket endpoint's path")]
    [InlineData("Switchboard:Telemetry:Prometheus:Enabled", "yes", "Switchboard:Telemetry:Prometheus:Enabled")]
    [InlineData("Switchboard:Telemetry:Prometheus:Enbled", "true", "Switchboard:Telemetry:Prometheus:Enbled")]
    public async Task BadTelemetrySetting_StopsStartup_NamingTheKey(string key, string value, string expected)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHostInstance.StartAsync(new Dictionary<string, string> { [key] = value }));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A gateway with the scrape endpoint on, at most one connection, and one allowed origin, after: a connection that
    /// asks who it is, sends two echo messages and one for <c>$default</c>, gets a broadcast and closes with 1000; a handshake refused for its origin;
    /// a client that pings and never reads its pongs until one is dropped, then drops its TCP connection (1006);
    /// a GetStats, a Broadcast and a GetConnection of the closed connection (410).
    /// </summary>
    private static async Task<GatewayHostInstance> StartWithTrafficAsync()
    {
        var host = await GatewayHostInstance.StartAsync(new Dictionary<string, string>
        {
            ["Switchboard:Telemetry:Prometheus:Enabled"] = "true",
            ["Switchboard:Security:AllowedOrigins:0"] = AllowedOrigin,
        });
        var webSocket = host.WebSocketUri("/production");
        string connectionId;
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(webSocket, CancellationToken.None);
            var client = new TestClient(socket);
            await client.SendTextAsync("""{"action":"whoami"}""");
            connectionId = JsonDocument.Parse(await client.ReceiveTextAsync()).RootElement.GetProperty("connectionId").GetString()!;
            await client.SendTextAsync("""{"action":"echo","n":1}""");
            await client.ReceiveTextAsync();
            await client.SendTextAsync("""{"action":"echo","n":2}""");
            await client.ReceiveTextAsync();
            await client.SendTextAsync("""{"action":"nothing-routes-this"}""");
            await client.ReceiveTextAsync();
            using (var broadcast = await Http.PostAsync(new Uri(host.BaseUri, "production/@broadcast"), new StringContent("hello")))
            {
                broadcast.EnsureSuccessStatusCode();
            }

            await client.ReceiveTextAsync();
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        using (var refused = new ClientWebSocket())
        {
            refused.Options.SetRequestHeader("Origin", "https://evil.example");
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(webSocket, CancellationToken.None));
        }

        await OverflowAClientThatNeverReadsAsync(host, webSocket);

        // Scraping is not a management call, so waiting on it leaves the counts below exact.
        await Eventually.UntilAsync(
            async () => Value(await ScrapeAsync(host), "switchboard_connections_open") == 0,
            TimeSpan.FromSeconds(10),
            "the closed connection to be gone");
        (await Http.GetAsync(new Uri(host.BaseUri, "production/@stats"))).EnsureSuccessStatusCode().Dispose();
        using (var gone = await Http.GetAsync(new Uri(host.BaseUri, $"production/@connections/{connectionId}")))
        {
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        }

        return host;
    }

    /// <summary>
    /// Pings in batches from a client that never reads, until the gateway has dropped a pong (a newer ping's pong replaces
    /// one not written yet: <c>switchboard.messages.dropped</c>), then drops the TCP connection. No data frame goes to
    /// it, so the message counts stay those of the first client.
    /// </summary>
    private static async Task OverflowAClientThatNeverReadsAsync(GatewayHostInstance host, Uri webSocket)
    {
        await using var stuck = await RawWebSocketClient.ConnectAsync(webSocket, receiveBufferBytes: 4096);
        Assert.Equal(101, stuck.HandshakeStatusCode);
        var pings = Enumerable.Range(0, 1000).SelectMany(_ => RawWebSocketClient.EncodeFrame(RawWebSocketClient.Ping, new byte[125])).ToArray();
        await Eventually.UntilAsync(
            async () =>
            {
                await stuck.SendRawAsync(pings);
                return (await ScrapeAsync(host)).Contains("switchboard_messages_dropped_total", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(20),
            "a pong to be dropped");
    }

    private static async Task<string> ScrapeAsync(GatewayHostInstance host)
    {
        using var response = await Http.GetAsync(new Uri(host.BaseUri, "@metrics"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the one series named <paramref name="name"/> whose labels include each of <paramref name="labels"/>.</summary>
    private static double Value(string scrape, string name, params string[] labels)
    {
        var lines = scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .ToList();
        Assert.True(lines.Count == 1, $"expected one series {name} with {string.Join(", ", labels)}, found {lines.Count}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        var value = lines[0][(lines[0].LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
        return double.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Every <c>expr</c> in the dashboard, however deep its panels are nested.</summary>
    private static IEnumerable<string> Expressions(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    else
                    {
                        foreach (var expression in Expressions(property.Value))
                        {
                            yield return expression;
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var expression in Expressions(item))
                    {
                        yield return expression;
                    }
                }

                break;
        }
    }

    /// <summary>An OTLP/HTTP collector that completes <paramref name="received"/> with the first export it gets on <paramref name="signalPath"/>.</summary>
    private static async Task<WebApplication> StartCollectorAsync(TaskCompletionSource<byte[]> received, string signalPath = "/v1/metrics")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var collector = builder.Build();
        collector.MapPost(signalPath, async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.TrySetResult(body.ToArray());
            context.Response.ContentType = "application/x-protobuf";
        });
        await collector.StartAsync();
        return collector;
    }

    [GeneratedRegex(@"^[a-z_]+(?=[{ ])", RegexOptions.Multiline)]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"\b(?:switchboard|dotnet|kestrel)_[a-z_]+")]
    private static partial Regex QueriedSeries();
}

/// <summary>Tests that scrape an in-process gateway's metrics run alone (see <see cref="TelemetryTests"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsAlone
{
    public const string Name = "Metrics, alone in the process";
}
