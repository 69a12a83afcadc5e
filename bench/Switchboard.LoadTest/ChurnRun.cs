using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadTest;

/// <summary>
/// The churn scenario on one registry: <see cref="ChurnSettings.Concurrency"/> clients each run cycles — connect
/// (the gateway calls <c>$connect</c>), send <see cref="ChurnSettings.Messages"/> messages and await each answer (the
/// gateway calls <c>$default</c>, a two-way route), then end the connection with a close frame, a FIN without one, or
/// a TCP reset (the gateway calls <c>$disconnect</c>) — until the duration is over. At each checkpoint every client
/// pauses (the even-numbered ones holding their open connection) and the registry is compared with the sockets the
/// harness holds; at the end, with every client gone, the backend's <c>$connect</c> and <c>$disconnect</c> calls must
/// pair up id by id and the registry must be empty.
/// </summary>
internal sealed class ChurnRun(ChurnSettings settings, string registry, Action<string> progress)
{
    /// <summary>How long the registry, the nodes' tables and the backend may take to agree with the live sockets.</summary>
    public static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(20);

    /// <summary>How long the <c>$disconnect</c> calls of the last closes may take to arrive once every client is gone.</summary>
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly LatencyHistogram _connectLatency = new();
    private LatencyHistogram _windowLatency = new();
    private long _cycles;
    private long _handshakes;
    private long _messages;
    private long _closeTurn;
    private long _closeFrames;
    private long _fins;
    private long _resets;
    private int _live;
    private string? _firstError;
    private volatile bool _stopping;
    private volatile bool _pauseRequested;
    private int _parked;
    private int _workers;
    private TaskCompletionSource _allParked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<ChurnResult> RunAsync()
    {
        await using var backend = await IntegrationBackend.StartAsync();
        progress($"integration backend: {backend.BaseUri}");
        await using var gateways = await ChurnGateways.StartAsync(registry, settings.Nodes, backend, settings.RepositoryRoot, progress);
        var result = new ChurnResult(registry, gateways.Nodes.Count) { LoadAverageStart = ProcStat.LoadAverage(), Commit = ChurnReport.Commit(settings.RepositoryRoot) };
        result.Baseline = await SampleAsync(gateways);

        var upgrades = gateways.Nodes.Select(node => WsClient.UpgradeRequest(node.EndPoint, "/production")).ToArray();
        var message = Encoding.UTF8.GetBytes("{\"action\":\"churn\",\"data\":\"hello\"}");
        var sources = settings.Sources;
        _workers = settings.Concurrency;
        var run = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(index => Task.Run(() => WorkerAsync(index, gateways, upgrades, message, sources)))
            .ToArray();

        var lastCycles = 0L;
        var lastElapsed = TimeSpan.Zero;
        while (run.Elapsed < settings.Duration && !gateways.Nodes.Any(node => node.HasExited))
        {
            var wait = settings.CheckpointInterval < settings.Duration - run.Elapsed ? settings.CheckpointInterval : settings.Duration - run.Elapsed;
            await Task.Delay(wait);
            var checkpoint = await CheckpointAsync(gateways, backend, run.Elapsed, lastCycles, lastElapsed);
            result.Checkpoints.Add(checkpoint);
            lastCycles = checkpoint.Cycles;
            lastElapsed = run.Elapsed;
            progress($"{checkpoint.Cycles:N0} cycles ({checkpoint.CyclesPerSecond:N0}/s), connect p99 {checkpoint.ConnectP99Ms:0.0} ms; "
                + $"live {checkpoint.LiveSockets}, registry {checkpoint.Registry}, node tables {checkpoint.NodeTables}, backend open {checkpoint.BackendOpen} "
                + $"({(checkpoint.Agrees ? "agree" : "DISAGREE")} after {checkpoint.SettleMs:N0} ms); "
                + string.Join(", ", checkpoint.Processes.Select(p => $"{p.Name} {p.ResidentBytes / 1048576.0:0} MB ({p.ResidentAfterGcBytes / 1048576.0:0} after GC) {p.OpenFiles} fds ({p.Connections} sockets)"))
                + $"; load {checkpoint.LoadAverage}");
        }

        _stopping = true;
        var stopped = Task.WhenAll(workers);
        if (await Task.WhenAny(stopped, Task.Delay(settings.StepTimeout * 4)) != stopped)
        {
            throw new TimeoutException("Clients did not finish their last cycle");
        }

        result.DurationSeconds = run.Elapsed.TotalSeconds;
        var drain = Stopwatch.StartNew();
        await backend.WaitUntilAsync(b => b.Disconnects >= b.Connects, DrainBound);
        result.DisconnectDrainSeconds = drain.Elapsed.TotalSeconds;
        (result.FinalRegistry, result.FinalNodeTables, _) = await SettleAsync(gateways, backend, 0);
        result.Final = await SampleAsync(gateways);
        result.LoadAverageEnd = ProcStat.LoadAverage();
        result.Cycles = Interlocked.Read(ref _cycles);
        result.Handshakes = Interlocked.Read(ref _handshakes);
        result.MessagesAnswered = Interlocked.Read(ref _messages);
        result.Closes["close frame"] = Interlocked.Read(ref _closeFrames);
        result.Closes["FIN, no close frame"] = Interlocked.Read(ref _fins);
        result.Closes["TCP reset"] = Interlocked.Read(ref _resets);
        foreach (var (step, count) in _errors)
        {
            result.Errors[step] = count;
        }

        result.FirstError = _firstError;
        result.BackendConnects = backend.Connects;
        result.BackendDisconnects = backend.Disconnects;
        result.BackendMessages = backend.Messages;
        result.Audit = backend.Audit();
        result.ConnectP50Ms = _connectLatency.PercentileMs(50);
        result.ConnectP99Ms = _connectLatency.PercentileMs(99);
        result.ConnectMaxMs = _connectLatency.MaxMs;
        AddTrends(result);
        AddChecks(result, gateways);
        return result;
    }

    private async Task WorkerAsync(int index, ChurnGateways gateways, byte[][] upgrades, byte[] message, IReadOnlyList<System.Net.IPAddress> sources)
    {
        var source = sources[index % sources.Count];
        var turn = index;
        while (true)
        {
            if (_pauseRequested)
            {
                await ParkAsync();
            }

            if (_stopping)
            {
                return;
            }

            var node = turn++ % gateways.Nodes.Count;
            WsClient? client = null;
            var step = "connect";
            try
            {
                using (var timeout = new CancellationTokenSource(settings.StepTimeout))
                {
                    var started = Stopwatch.GetTimestamp();
                    client = await WsClient.ConnectAsync(null, index, source, gateways.Nodes[node].EndPoint, upgrades[node], WireProtocol.Actions, 0, null, timeout.Token);
                    var elapsed = Stopwatch.GetTimestamp() - started;
                    _connectLatency.Record(elapsed);
                    Volatile.Read(ref _windowLatency).Record(elapsed);
                    Interlocked.Increment(ref _handshakes);
                    Interlocked.Increment(ref _live);
                    step = "message";
                    for (var i = 0; i < settings.Messages; i++)
                    {
                        await client.SendTextAsync(message, timeout.Token);
                        await client.ReadMessageAsync(timeout.Token);
                        Interlocked.Increment(ref _messages);
                    }
                }

                if (_pauseRequested && index % 2 == 0)
                {
                    await ParkAsync(); // holding the open connection through the checkpoint
                }

                step = "close";
                using (var timeout = new CancellationTokenSource(settings.StepTimeout))
                {
                    var kind = Interlocked.Increment(ref _closeTurn) % 100;
                    if (kind < settings.ResetPercent)
                    {
                        client.Abort();
                        Interlocked.Increment(ref _resets);
                    }
                    else if (kind < settings.ResetPercent + settings.FinPercent)
                    {
                        await client.ShutdownWithoutCloseFrameAsync(timeout.Token);
                        Interlocked.Increment(ref _fins);
                    }
                    else
                    {
                        await client.CloseHandshakeAsync(timeout.Token);
                        Interlocked.Increment(ref _closeFrames);
                    }
                }

                client = null;
                Interlocked.Decrement(ref _live);
                Interlocked.Increment(ref _cycles);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
            {
                _errors.AddOrUpdate(step, 1, (_, count) => count + 1);
                Interlocked.CompareExchange(ref _firstError, $"{step}: {exception.GetType().Name}: {exception.Message}", null);
                if (client is not null)
                {
                    client.Abort();
                    Interlocked.Decrement(ref _live);
                }
            }
        }
    }

    /// <summary>Waits for the checkpoint to end; the last client to park tells the checkpoint that all have.</summary>
    private async Task ParkAsync()
    {
        var resume = Volatile.Read(ref _resume);
        if (Interlocked.Increment(ref _parked) == _workers)
        {
            _allParked.TrySetResult();
        }

        await resume.Task;
    }

    private async Task<ChurnCheckpoint> CheckpointAsync(ChurnGateways gateways, IntegrationBackend backend, TimeSpan elapsed, long lastCycles, TimeSpan lastElapsed)
    {
        _parked = 0;
        _allParked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _resume, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _pauseRequested = true;
        try
        {
            if (await Task.WhenAny(_allParked.Task, Task.Delay(settings.StepTimeout * 3)) != _allParked.Task)
            {
                progress($"  not every client paused within {settings.StepTimeout * 3}: {Volatile.Read(ref _parked)} of {_workers}");
            }

            var window = Interlocked.Exchange(ref _windowLatency, new LatencyHistogram());
            var cycles = Interlocked.Read(ref _cycles);
            var live = Volatile.Read(ref _live);
            var settle = Stopwatch.StartNew();
            var (listed, tables, open) = await SettleAsync(gateways, backend, live);
            return new ChurnCheckpoint(
                elapsed.TotalSeconds,
                cycles,
                (cycles - lastCycles) / Math.Max(0.001, (elapsed - lastElapsed).TotalSeconds),
                window.Count,
                window.PercentileMs(50),
                window.PercentileMs(99),
                window.MaxMs,
                live,
                listed,
                tables,
                open,
                settle.Elapsed.TotalMilliseconds,
                await SampleAsync(gateways),
                ProcStat.LoadAverage());
        }
        finally
        {
            _pauseRequested = false;
            Volatile.Read(ref _resume).TrySetResult();
        }
    }

    /// <summary>
    /// Polls the registry listing, the nodes' own tables and the backend's open ids until all three equal
    /// <paramref name="live"/> or <see cref="SettleBound"/> passes; returns what they said last. Polling, because the
    /// gateway has no event for "the registry changed".
    /// </summary>
    private static async Task<(int Registry, int NodeTables, long BackendOpen)> SettleAsync(ChurnGateways gateways, IntegrationBackend backend, int live)
    {
        var bound = Stopwatch.StartNew();
        while (true)
        {
            var listed = await gateways.RegistryCountAsync();
            var tables = await gateways.LocalCountAsync();
            var open = backend.Connects - backend.Disconnects;
            if ((listed == live && tables == live && open == live) || bound.Elapsed > SettleBound)
            {
                return (listed, tables, open);
            }

            await Task.Delay(100);
        }
    }

    private static async Task<List<ProcessSample>> SampleAsync(ChurnGateways gateways)
    {
        var samples = new List<ProcessSample>();
        for (var i = 0; i < gateways.Nodes.Count; i++)
        {
            var node = gateways.Nodes[i];
            if (!node.HasExited)
            {
                var connections = await gateways.Management[i].TryGetConnectionCountAsync() ?? 0;
                var files = ProcStat.OpenFileDescriptors(node.Pid);
                var resident = node.ResidentBytes();
                var afterGc = await node.CollectAndMeasureAsync();
                samples.Add(new ProcessSample(gateways.Nodes.Count == 1 ? "gateway" : $"node {i + 1}", node.Pid, resident, afterGc, files, connections));
            }
        }

        if (gateways.RedisPid is { } redis)
        {
            var resident = ProcStat.ResidentBytes(redis);
            samples.Add(new ProcessSample("redis-server", redis, resident, resident, ProcStat.OpenFileDescriptors(redis), 0));
        }

        return samples;
    }

    /// <summary>RSS and open files of each process against cycles, from the second checkpoint on (the first includes warm-up).</summary>
    private static void AddTrends(ChurnResult result)
    {
        var points = result.Checkpoints.Skip(1).ToList();
        if (points.Count < 2)
        {
            points = [.. result.Checkpoints];
        }

        if (points.Count < 2)
        {
            return;
        }

        foreach (var name in points[0].Processes.Select(process => process.Name))
        {
            var series = points
                .Select(point => (point.Cycles, Sample: point.Processes.FirstOrDefault(process => process.Name == name)))
                .Where(pair => pair.Sample is not null)
                .ToList();
            if (name != "redis-server")
            {
                result.Trends.Add(new Trend($"{name} RSS after a full GC", "MB", series[0].Sample!.ResidentAfterGcBytes / 1048576.0, series[^1].Sample!.ResidentAfterGcBytes / 1048576.0,
                    Slope(series.Select(pair => ((double)pair.Cycles, pair.Sample!.ResidentAfterGcBytes / 1048576.0))) * 100_000));
            }

            result.Trends.Add(new Trend($"{name} RSS as is", "MB", series[0].Sample!.ResidentBytes / 1048576.0, series[^1].Sample!.ResidentBytes / 1048576.0,
                Slope(series.Select(pair => ((double)pair.Cycles, pair.Sample!.ResidentBytes / 1048576.0))) * 100_000));
            result.Trends.Add(new Trend($"{name} open files besides client sockets", "fds", series[0].Sample!.OtherFiles, series[^1].Sample!.OtherFiles,
                Slope(series.Select(pair => ((double)pair.Cycles, (double)pair.Sample!.OtherFiles))) * 100_000));
        }

        result.Trends.Add(new Trend("connect p99", "ms", points[0].ConnectP99Ms, points[^1].ConnectP99Ms,
            Slope(points.Select(point => ((double)point.Cycles, point.ConnectP99Ms))) * 100_000));
    }

    /// <summary>Least-squares slope of y over x.</summary>
    private static double Slope(IEnumerable<(double X, double Y)> points)
    {
        var list = points.ToList();
        var meanX = list.Average(point => point.X);
        var meanY = list.Average(point => point.Y);
        var covariance = list.Sum(point => (point.X - meanX) * (point.Y - meanY));
        var variance = list.Sum(point => (point.X - meanX) * (point.X - meanX));
        return variance == 0 ? 0 : covariance / variance;
    }

    private static void AddChecks(ChurnResult result, ChurnGateways gateways)
    {
        var audit = result.Audit!;
        result.Checks.Add(new ChurnCheck("$connect calls = $disconnect calls at the backend", result.BackendConnects == result.BackendDisconnects,
            $"{result.BackendConnects:N0} $connect, {result.BackendDisconnects:N0} $disconnect"));
        result.Checks.Add(new ChurnCheck("every id: one $connect and one $disconnect", audit.Matched,
            $"{audit.Ids:N0} ids; without $disconnect {audit.Open}, $disconnect without $connect {audit.DisconnectWithoutConnect}, "
            + $"repeated $connect {audit.RepeatedConnect}, repeated $disconnect {audit.RepeatedDisconnect}"
            + (audit.Examples.Count > 0 ? $"; e.g. {string.Join("; ", audit.Examples)}" : "")));
        result.Checks.Add(new ChurnCheck("$connect calls = handshakes the clients completed", result.BackendConnects == result.Handshakes,
            $"{result.BackendConnects:N0} calls, {result.Handshakes:N0} handshakes"));
        var disagreeing = result.Checkpoints.Where(checkpoint => !checkpoint.Agrees).ToList();
        result.Checks.Add(new ChurnCheck("registry = node tables = backend open = live sockets at every checkpoint", disagreeing.Count == 0,
            disagreeing.Count == 0
                ? $"{result.Checkpoints.Count} checkpoints, slowest to settle {result.Checkpoints.Select(c => c.SettleMs).DefaultIfEmpty().Max():N0} ms"
                : string.Join("; ", disagreeing.Select(c => $"at {c.ElapsedSeconds:N0} s: live {c.LiveSockets}, registry {c.Registry}, node tables {c.NodeTables}, backend open {c.BackendOpen}"))));
        result.Checks.Add(new ChurnCheck("registry and node tables empty at the end", result.FinalRegistry == 0 && result.FinalNodeTables == 0,
            $"registry {result.FinalRegistry}, node tables {result.FinalNodeTables}"));
        result.Checks.Add(new ChurnCheck("every gateway process still running", gateways.Nodes.All(node => !node.HasExited),
            string.Join(", ", gateways.Nodes.Select(node => node.HasExited ? $"pid {node.Pid} exited: {node.LastLines()}" : $"pid {node.Pid} running"))));
    }
}
