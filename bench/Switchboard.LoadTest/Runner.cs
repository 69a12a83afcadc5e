using System.Diagnostics;
using System.Net;

namespace Switchboard.LoadTest;

/// <summary>
/// Runs every scenario against one freshly started server process at one connection count: connect, idle memory
/// (held), broadcast (paced and back to back), unicast, echo round trip, slow client.
/// </summary>
internal sealed class Runner(Settings settings, HarnessTls? tls)
{
    private int _phaseIds;

    public async Task<ServerRun> RunAsync(ServerKind kind, int n)
    {
        var run = new ServerRun(kind, n);
        void Progress(string text) => Console.WriteLine($"  [{kind.Name} N={n:N0}] {text}");

        // The $connect backend, when the server calls one: its own process, plain HTTP on loopback, started first.
        await using var backend = kind.CallsBackendOnConnect ? ServerProcess.Start(ServerKind.Raw, settings.RepositoryRoot, tls: null) : null;
        if (backend is not null)
        {
            using var backendProbe = new ManagementClient(backend.Port, 1, tls: null);
            await backend.WaitReadyAsync(backendProbe, TimeSpan.FromSeconds(60));
            Progress($"$connect backend: pid {backend.Pid}, http://127.0.0.1:{backend.Port}{ServerKind.ConnectBackendPath}");
        }

        var connectBackend = backend is null ? null : new Uri($"http://127.0.0.1:{backend.Port}{ServerKind.ConnectBackendPath}");
        await using var server = ServerProcess.Start(kind, settings.RepositoryRoot, tls, settings.SampleAllocations, settings.PerfMap, connectBackend);
        using var management = new ManagementClient(server.Port, Math.Max(settings.UnicastConcurrency, 4), tls);
        await server.WaitReadyAsync(management, TimeSpan.FromSeconds(60));
        Progress($"started: pid {server.Pid}, port {server.Port}");

        await WarmUpAsync(server, management, kind);
        var baselineAsIs = server.ResidentBytes();
        var baseline = await server.CollectAndMeasureAsync();
        Progress($"warmed up; RSS {Mb(baselineAsIs)} MB, {Mb(baseline)} MB after full GC");
        async Task AllocationsAsync(string scenario)
        {
            if (settings.SampleAllocations)
            {
                Progress($"allocations sampled during {scenario}:");
                foreach (var line in await server.TakeAllocationsAsync())
                {
                    Console.WriteLine("      " + line);
                }
            }
        }

        await AllocationsAsync("warm-up");

        var fleet = new Fleet(server.EndPoint, "/production", kind.Protocol, settings.Sources, tls);
        try
        {
            var connected = await ConnectAsync(run, server, fleet, n, Progress);
            await AllocationsAsync("connect");
            if (connected == 0)
            {
                run.Notes.Add("no connection could be opened; scenarios skipped");
                return run;
            }

            if (settings.Scenarios.Contains("idle"))
            {
                await IdleAsync(run, server, management, fleet, connected, baseline, Progress);
            }

            if (settings.Scenarios.Contains("unicast") && !await fleet.IdentifyAsync(TimeSpan.FromSeconds(60)))
            {
                run.Notes.Add("some clients did not answer whoami within 60 s");
            }

            await AllocationsAsync("idle hold and whoami");
            if (settings.Scenarios.Contains("broadcast"))
            {
                await BroadcastAsync(run, server, management, fleet, Progress);
                await AllocationsAsync("broadcast");
            }

            if (settings.Scenarios.Contains("unicast"))
            {
                await UnicastAsync(run, server, management, fleet, Progress);
                await AllocationsAsync("unicast");
            }

            if (settings.Scenarios.Contains("echo"))
            {
                await EchoAsync(run, server, fleet, Progress);
                await AllocationsAsync("echo");
            }

            if (settings.Scenarios.Contains("idle") && settings.Scenarios.Overlaps(["broadcast", "unicast", "echo"]))
            {
                await AfterTrafficAsync(run, server, fleet, baseline, Progress);
            }

            if (settings.Scenarios.Contains("slow"))
            {
                await SlowClientAsync(run, server, management, fleet, Progress);
                await AllocationsAsync("slow client");
            }
        }
        finally
        {
            fleet.CloseAll();
            if (!await WaitForCountAsync(management, 0, TimeSpan.FromSeconds(60)))
            {
                run.Notes.Add("the server still counted connections 60 s after every client closed");
            }
        }

        foreach (var note in run.Notes)
        {
            Progress($"note: {note}");
        }

        return run;
    }

    /// <summary>Runs each path once at small scale so the JIT and pools are warm before the baseline is read.</summary>
    private async Task WarmUpAsync(ServerProcess server, ManagementClient management, ServerKind kind)
    {
        var fleet = new Fleet(server.EndPoint, "/production", kind.Protocol, settings.Sources, tls);
        var scratch = new ServerRun(kind, 0);
        try
        {
            await fleet.ConnectAsync(100, 16, TimeSpan.FromSeconds(30), _ => { });
            await fleet.IdentifyAsync(TimeSpan.FromSeconds(10));
            await BroadcastPhaseAsync(fleet, management, 50, 0, TimeSpan.FromSeconds(10), fleet.Clients.Count, null);
            await UnicastPhaseAsync(scratch, server, management, fleet, 500, null);
            await EchoPhaseAsync(scratch, server, fleet, TimeSpan.FromSeconds(0.5));
        }
        finally
        {
            fleet.CloseAll();
            await WaitForCountAsync(management, 0, TimeSpan.FromSeconds(30));
        }
    }

    private async Task<int> ConnectAsync(ServerRun run, ServerProcess server, Fleet fleet, int n, Action<string> progress)
    {
        var cpu = new CpuMeter(server.Pid);
        var result = await fleet.ConnectAsync(n, settings.ConnectConcurrency, TimeSpan.FromSeconds(Math.Max(60, n / 50.0)), progress);
        var (serverCpu, clientCpu, _) = cpu.Elapsed();
        fleet.StartKeepAlive();
        var connected = result.Connected;
        progress($"connect: {connected:N0} in {result.Elapsed.TotalSeconds:F2} s ({connected / result.Elapsed.TotalSeconds:N0}/s), {result.Failed} failed");
        run.Add("connect.rate", "connect rate", "conn/s", connected / result.Elapsed.TotalSeconds, true);
        run.Add("connect.p50", "connect latency p50", "ms", result.Latency.PercentileMs(50), false);
        run.Add("connect.p99", "connect latency p99", "ms", result.Latency.PercentileMs(99), false);
        run.Add("connect.server_cpu", "server CPU per connect", "µs", PerOperation(serverCpu, connected), false);
        run.Add("connect.client_cpu", "client CPU per connect", "µs", PerOperation(clientCpu, connected), false);
        if (result.Failed > 0)
        {
            run.Add("connect.failed", "connects failed", "", result.Failed, false);
            run.Notes.Add($"{result.Failed} connects failed; first: {result.FirstError}");
        }

        return connected;
    }

    private async Task IdleAsync(ServerRun run, ServerProcess server, ManagementClient management, Fleet fleet, int connected, long baseline, Action<string> progress)
    {
        await Task.Delay(1000);
        var asIs = server.ResidentBytes();
        var afterGc = await server.CollectAndMeasureAsync();
        var closedBefore = fleet.Closed;
        var cpu = new CpuMeter(server.Pid);
        var hold = Stopwatch.StartNew();
        var lastReport = Stopwatch.StartNew();
        while (hold.Elapsed.TotalSeconds < settings.HoldSeconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, Math.Max(0.05, settings.HoldSeconds - hold.Elapsed.TotalSeconds))));
            if (lastReport.Elapsed > TimeSpan.FromSeconds(10))
            {
                lastReport.Restart();
                progress($"holding {connected:N0} idle: {hold.Elapsed.TotalSeconds:F0}/{settings.HoldSeconds:F0} s, {fleet.Closed - closedBefore} dropped");
            }
        }

        var (serverCpu, _, wall) = cpu.Elapsed();
        var dropped = fleet.Closed - closedBefore;
        var serverCount = await management.TryGetConnectionCountAsync();
        var afterHold = await server.CollectAndMeasureAsync();
        var perConnection = (afterGc - baseline) / (double)connected;
        progress($"idle: RSS {Mb(afterGc)} MB after GC ({perConnection:N0} B/conn), {Mb(asIs)} MB as is; held {settings.HoldSeconds:F0} s, {dropped} dropped, server counts {serverCount}");
        run.Add("idle.rss_per_conn", "RSS per idle connection, after full GC", "bytes", perConnection, false);
        run.Add("idle.rss_total_asis", "server RSS with N idle, as is", "MB", asIs / 1048576.0, false);
        run.Add("idle.rss_per_conn_held", "RSS per idle connection after the hold, after full GC", "bytes", (afterHold - baseline) / (double)connected, false);
        run.Add("idle.rss_total", "server RSS with N idle, after full GC", "MB", afterGc / 1048576.0, false);
        run.Add("idle.dropped", "connections dropped while held", "", dropped, false);
        run.Add("idle.server_cpu", "server CPU while idle", "% of a core", serverCpu / wall * 100, false);
        if (serverCount != connected)
        {
            run.Notes.Add($"after the hold the server counted {serverCount} connections, the client {connected - dropped}");
        }

        if (server.Kind.IsSwitchboard)
        {
            var listed = await management.CountListedAsync();
            if (listed != connected - dropped)
            {
                run.Notes.Add($"GET @connections listed {listed} connections, the client holds {connected - dropped}");
            }
        }
    }

    /// <summary>Memory per connection once the traffic scenarios are over: buffers and queues a connection needed while busy must not stay with it.</summary>
    private static async Task AfterTrafficAsync(ServerRun run, ServerProcess server, Fleet fleet, long baseline, Action<string> progress)
    {
        await Task.Delay(1000);
        var open = OpenClients(fleet);
        var afterTraffic = await server.CollectAndMeasureAsync();
        var perConnection = (afterTraffic - baseline) / (double)open;
        progress($"after traffic: RSS {Mb(afterTraffic)} MB after GC ({perConnection:N0} B/conn over {open:N0} open connections)");
        run.Add("idle.rss_per_conn_after_traffic", "RSS per connection after traffic, after full GC", "bytes", perConnection, false);
    }

    private async Task BroadcastAsync(ServerRun run, ServerProcess server, ManagementClient management, Fleet fleet, Action<string> progress)
    {
        var recipients = OpenClients(fleet);
        var paced = await BroadcastPhaseAsync(fleet, management, settings.PacedBroadcasts, settings.PacedIntervalMs, TimeSpan.FromSeconds(60), recipients, progress);
        var lastDelivery = paced.Phase.LastDeliveryMs();
        progress($"broadcast paced: {paced.Sent} × {recipients:N0}, p50 {paced.Phase.Latency.PercentileMs(50):F2} ms, p99 {paced.Phase.Latency.PercentileMs(99):F2} ms, last delivery p50 {Percentile(lastDelivery, 50):F2} ms");
        run.Add("broadcast.paced_p50", "broadcast latency p50, paced", "ms", paced.Phase.Latency.PercentileMs(50), false);
        run.Add("broadcast.paced_p99", "broadcast latency p99, paced", "ms", paced.Phase.Latency.PercentileMs(99), false);
        run.Add("broadcast.paced_max", "broadcast latency max, paced", "ms", paced.Phase.Latency.MaxMs, false);
        run.Add("broadcast.last_p50", "time to last delivery p50, paced", "ms", Percentile(lastDelivery, 50), false);
        run.Add("broadcast.last_max", "time to last delivery max, paced", "ms", lastDelivery.Count == 0 ? 0 : lastDelivery[^1], false);

        var cpu = new CpuMeter(server.Pid);
        var burst = await BroadcastPhaseAsync(fleet, management, settings.Broadcasts, 0, TimeSpan.FromSeconds(120), recipients, progress);
        var (serverCpu, clientCpu, _) = cpu.Elapsed();
        var delivered = burst.Phase.Delivered;
        progress($"broadcast burst: {burst.Sent} × {recipients:N0}, {burst.Rate:N0} deliveries/s, p99 {burst.Phase.Latency.PercentileMs(99):F1} ms, {delivered:N0}/{burst.Phase.Expected:N0} delivered");
        run.Add("broadcast.deliveries_per_s", "broadcast deliveries/s, back to back", "1/s", burst.Rate, true);
        run.Add("broadcast.burst_p50", "broadcast latency p50, back to back", "ms", burst.Phase.Latency.PercentileMs(50), false);
        run.Add("broadcast.burst_p99", "broadcast latency p99, back to back", "ms", burst.Phase.Latency.PercentileMs(99), false);
        run.Add("broadcast.burst_max", "broadcast latency max, back to back", "ms", burst.Phase.Latency.MaxMs, false);
        run.Add("broadcast.burst_time", "time to last delivery of the burst", "ms", burst.Elapsed.TotalMilliseconds, false);
        run.Add("broadcast.server_cpu", "server CPU per delivery", "µs", PerOperation(serverCpu, delivered), false);
        run.Add("broadcast.client_cpu", "client CPU per delivery", "µs", PerOperation(clientCpu, delivered), false);
        run.Add("broadcast.delivered", "broadcast deliveries arrived", "%", burst.Phase.Expected == 0 ? 0 : delivered * 100.0 / burst.Phase.Expected, true);
    }

    private async Task UnicastAsync(ServerRun run, ServerProcess server, ManagementClient management, Fleet fleet, Action<string> progress)
    {
        var (phase, requestsPerSecond, response, failed) = await UnicastPhaseAsync(run, server, management, fleet, settings.Unicasts, progress);
        progress($"unicast: {settings.Unicasts:N0} posts, {requestsPerSecond:N0}/s, post→receipt p50 {phase.Latency.PercentileMs(50):F2} ms p99 {phase.Latency.PercentileMs(99):F2} ms, {failed} failed");
        run.Add("unicast.requests_per_s", "unicast POSTs/s (concurrency " + settings.UnicastConcurrency + ")", "1/s", requestsPerSecond, true);
        run.Add("unicast.p50", "unicast POST→receipt p50", "ms", phase.Latency.PercentileMs(50), false);
        run.Add("unicast.p99", "unicast POST→receipt p99", "ms", phase.Latency.PercentileMs(99), false);
        run.Add("unicast.response_p99", "unicast POST→200 p99", "ms", response.PercentileMs(99), false);
        if (failed > 0)
        {
            run.Add("unicast.failed", "unicast POSTs not answered 200", "", failed, false);
        }
    }

    private async Task<(Phase Phase, double RequestsPerSecond, LatencyHistogram Response, int Failed)> UnicastPhaseAsync(
        ServerRun run, ServerProcess server, ManagementClient management, Fleet fleet, int count, Action<string>? progress)
    {
        var ids = fleet.Clients.Where(client => client.Id is not null && !client.IsClosed).Select(client => client.Id!).ToArray();
        var phase = new Phase(Interlocked.Increment(ref _phaseIds), PhaseKind.Unicast, count, count);
        var response = new LatencyHistogram();
        if (ids.Length == 0)
        {
            return (phase, 0, response, count);
        }

        fleet.Current = phase;
        var failed = 0;
        var next = -1;
        var cpu = new CpuMeter(server.Pid);
        var stopwatch = Stopwatch.StartNew();

        async Task WorkerAsync()
        {
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= count)
                {
                    return;
                }

                var id = ids[Random.Shared.Next(ids.Length)];
                var started = Stopwatch.GetTimestamp();
                var payload = Marker.Create(started, phase.Id, index);
                try
                {
                    var status = await management.PostAsync(id, payload, CancellationToken.None);
                    response.Record(Stopwatch.GetTimestamp() - started);
                    if (status != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, settings.UnicastConcurrency).Select(_ => Task.Run(WorkerAsync)));
        var elapsed = stopwatch.Elapsed;
        phase.Expected = count - failed;
        await phase.WaitAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), progress);
        var (serverCpu, clientCpu, _) = cpu.Elapsed();
        fleet.Current = null;
        if (progress is not null)
        {
            run.Add("unicast.server_cpu", "server CPU per unicast", "µs", PerOperation(serverCpu, count), false);
            run.Add("unicast.client_cpu", "client CPU per unicast", "µs", PerOperation(clientCpu, count), false);
        }

        return (phase, count / elapsed.TotalSeconds, response, failed);
    }

    private async Task EchoAsync(ServerRun run, ServerProcess server, Fleet fleet, Action<string> progress)
    {
        var (phase, rate) = await EchoPhaseAsync(run, server, fleet, TimeSpan.FromSeconds(settings.EchoSeconds));
        progress($"echo: {rate:N0} messages/s, p50 {phase.Latency.PercentileMs(50):F2} ms, p99 {phase.Latency.PercentileMs(99):F2} ms");
        run.Add("echo.messages_per_s", $"echo round trips/s ({settings.EchoClients} clients, 1 in flight each)", "1/s", rate, true);
        run.Add("echo.p50", "echo round trip p50", "ms", phase.Latency.PercentileMs(50), false);
        run.Add("echo.p99", "echo round trip p99", "ms", phase.Latency.PercentileMs(99), false);
    }

    private async Task<(Phase Phase, double Rate)> EchoPhaseAsync(ServerRun run, ServerProcess server, Fleet fleet, TimeSpan duration)
    {
        var clients = fleet.Clients.Where(client => !client.IsClosed).Take(settings.EchoClients).ToList();
        var phase = new Phase(Interlocked.Increment(ref _phaseIds), PhaseKind.Echo, long.MaxValue, 0) { EchoActive = true };
        fleet.Current = phase;
        var cpu = new CpuMeter(server.Pid);
        var stopwatch = Stopwatch.StartNew();
        foreach (var client in clients)
        {
            try
            {
                await client.SendEchoAsync(phase.Id);
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }

        await Task.Delay(duration);
        phase.EchoActive = false;
        var delivered = phase.Delivered;
        var elapsed = stopwatch.Elapsed;
        var (serverCpu, clientCpu, _) = cpu.Elapsed();
        await Task.Delay(300);
        fleet.Current = null;
        run.Add("echo.server_cpu", "server CPU per echo", "µs", PerOperation(serverCpu, delivered), false);
        run.Add("echo.client_cpu", "client CPU per echo", "µs", PerOperation(clientCpu, delivered), false);
        return (phase, delivered / elapsed.TotalSeconds);
    }

    /// <summary>
    /// Broadcast rate to the others, first without and then with one client that completed its handshake and never
    /// reads again (its receive buffer shrunk to 4 KB), on a fleet cut down to <see cref="Settings.SlowClientFleet"/>.
    /// </summary>
    private async Task SlowClientAsync(ServerRun run, ServerProcess server, ManagementClient management, Fleet fleet, Action<string> progress)
    {
        fleet.CloseAll(keep: settings.SlowClientFleet);
        var recipients = OpenClients(fleet);
        await WaitForCountAsync(management, recipients, TimeSpan.FromSeconds(30));
        var deadline = TimeSpan.FromSeconds(settings.SlowClientDeadlineSeconds);
        var without = await BroadcastPhaseAsync(fleet, management, settings.SlowClientBroadcasts, 0, deadline, recipients, progress, settings.SlowClientPayloadBytes);

        var upgrade = WsClient.UpgradeRequest(server.EndPoint, "/production");
        var slow = await WsClient.ConnectAsync(null, -1, settings.Sources[0], server.EndPoint, upgrade, fleet.Protocol, 4096, tls, CancellationToken.None);
        BroadcastResult with;
        try
        {
            // The slow client says who it is, then never reads again. Large posts to it fill the kernel's buffers
            // (the sender's grows to several MB on loopback) so the broadcasts below meet a reader that is already stalled.
            using (var identify = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                await slow.SendTextAsync(WireMessages.WhoAmI(fleet.Protocol), identify.Token);
                var id = await slow.ReadIdAsync(fleet.Protocol, identify.Token);
                var filler = new byte[120_000];
                filler.AsSpan().Fill((byte)'x');
                var fills = await Task.WhenAll(Enumerable.Range(0, settings.SlowClientFillPosts).Select(async _ =>
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    try
                    {
                        return await management.PostAsync(id, filler, timeout.Token) == HttpStatusCode.OK;
                    }
                    catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException)
                    {
                        return false;
                    }
                }));
                progress($"slow client {id}: {fills.Count(ok => ok)}/{fills.Length} fill posts of 120 KB answered 200 within 3 s");
            }

            with = await BroadcastPhaseAsync(fleet, management, settings.SlowClientBroadcasts, 0, deadline, recipients, progress, settings.SlowClientPayloadBytes);
            var afterwards = await management.TryGetConnectionCountAsync();
            run.Notes.Add(afterwards > recipients
                ? "the server still held the slow client's connection at the end of the phase"
                : "the server had closed the slow client's connection by the end of the phase");
        }
        finally
        {
            slow.Close();
        }

        progress($"slow client: {without.Rate:N0} deliveries/s to {recipients:N0} without it, {with.Rate:N0}/s with it " +
            $"({with.Sent}/{settings.SlowClientBroadcasts} broadcasts answered within {deadline.TotalSeconds:F0} s, {with.Phase.Delivered:N0}/{(long)settings.SlowClientBroadcasts * recipients:N0} delivered)");
        run.Add("slow.without", $"deliveries/s to {recipients} clients, no slow client", "1/s", without.Rate, true);
        run.Add("slow.with", $"deliveries/s to {recipients} clients, one slow client", "1/s", with.Rate, true);
        run.Add("slow.ratio", "with ÷ without slow client", "", without.Rate == 0 ? 0 : with.Rate / without.Rate, true);
        run.Add("slow.delivered", "deliveries arrived with a slow client", "%", with.Phase.Delivered * 100.0 / ((long)settings.SlowClientBroadcasts * recipients), true);
        if (with.FewestRecipients >= 0 && with.FewestRecipients <= recipients)
        {
            run.Notes.Add($"broadcast answers reported as few as {with.FewestRecipients} recipients of {recipients + 1} connections (the slow client skipped or gone)");
        }

        if (with.Sent < settings.SlowClientBroadcasts)
        {
            run.Notes.Add($"with a slow client only {with.Sent} of {settings.SlowClientBroadcasts} broadcast POSTs were answered within {deadline.TotalSeconds:F0} s");
        }
    }

    /// <param name="FewestRecipients">The smallest "recipients" a broadcast answer reported (Switchboard skips a client whose queue is full).</param>
    private sealed record BroadcastResult(Phase Phase, int Sent, double Rate, TimeSpan Elapsed, long FewestRecipients);

    /// <summary>
    /// Sends <paramref name="count"/> broadcasts, each awaiting its HTTP answer, optionally one per interval. The rate
    /// is deliveries over the time from the first send to the later of the last delivery and the sender giving up.
    /// </summary>
    private async Task<BroadcastResult> BroadcastPhaseAsync(Fleet fleet, ManagementClient management, int count, double intervalMs, TimeSpan deadline, int recipients, Action<string>? progress, int payloadBytes = Marker.PayloadBytes)
    {
        var fewestRecipients = long.MaxValue;
        var phase = new Phase(Interlocked.Increment(ref _phaseIds), PhaseKind.Broadcast, (long)count * recipients, count);
        fleet.Current = phase;
        var sent = 0;
        var started = Stopwatch.GetTimestamp();
        using var cancellation = new CancellationTokenSource(deadline);
        for (var i = 0; i < count; i++)
        {
            if (intervalMs > 0)
            {
                var due = TimeSpan.FromMilliseconds(intervalMs * i) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }
            }

            try
            {
                var (status, reported) = await management.BroadcastAsync(Marker.Create(Stopwatch.GetTimestamp(), phase.Id, i, payloadBytes), cancellation.Token);
                if (status == HttpStatusCode.OK)
                {
                    sent++;
                    fewestRecipients = Math.Min(fewestRecipients, reported);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException)
            {
                break;
            }
        }

        var senderDone = Stopwatch.GetTimestamp();
        phase.Expected = (long)sent * recipients;
        var remaining = deadline - Stopwatch.GetElapsedTime(started);
        await phase.WaitAsync(TimeSpan.FromSeconds(5), remaining > TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5), progress);
        fleet.Current = null;
        var end = Math.Max(phase.LastDeliveryTicks, senderDone);
        var elapsed = Stopwatch.GetElapsedTime(started, end);
        return new BroadcastResult(phase, sent, phase.Delivered / elapsed.TotalSeconds, elapsed, fewestRecipients == long.MaxValue ? -1 : fewestRecipients);
    }

    private static int OpenClients(Fleet fleet) => fleet.Clients.Count(client => !client.IsClosed);

    private static async Task<bool> WaitForCountAsync(ManagementClient management, int expected, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (await management.TryGetConnectionCountAsync() == expected)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static double PerOperation(TimeSpan cpu, long operations) => operations == 0 ? 0 : cpu.TotalMicroseconds / operations;

    private static double Percentile(List<double> sorted, double percentile) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
