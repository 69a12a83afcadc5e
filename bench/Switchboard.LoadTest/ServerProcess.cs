using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.LoadTest;

/// <summary>
/// A server under test, started as its own process with the harness's assembly as startup hook (so it can be asked
/// for a full GC through its standard input), logging at Warning, on a fresh loopback port.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string HookVariable = "SWITCHBOARD_LOADTEST_HOOK";
    public const string GcDoneMarker = "[loadtest-hook] gc done";

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly Lock _lock = new();
    private readonly string _workDirectory;
    private TaskCompletionSource? _gcDone;
    private TaskCompletionSource? _allocsDone;
    private List<string>? _allocLines;

    private ServerProcess(ServerKind kind, Process process, int port, string workDirectory)
    {
        Kind = kind;
        _process = process;
        Port = port;
        _workDirectory = workDirectory;
    }

    public ServerKind Kind { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public static ServerProcess Start(ServerKind kind, string repositoryRoot, HarnessTls? tls, bool sampleAllocations = false, bool perfMap = false, Uri? connectBackend = null, IEnumerable<string>? arguments = null)
    {
        var port = FreePort();
        var workDirectory = Path.Combine(Path.GetTempPath(), $"switchboard-loadtest-{Environment.ProcessId}-{port}");
        Directory.CreateDirectory(workDirectory);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        info.ArgumentList.Add(kind.AssemblyPath(repositoryRoot));
        foreach (var argument in tls?.ServerArguments(port) ?? ["--urls", $"http://127.0.0.1:{port}"])
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        info.ArgumentList.Add("--Logging:LogLevel:Microsoft=Warning");
        foreach (var argument in kind.ExtraArguments(workDirectory, connectBackend).Concat(arguments ?? []))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_STARTUP_HOOKS"] = typeof(ServerProcess).Assembly.Location;
        info.Environment[HookVariable] = "1";
        if (perfMap)
        {
            info.Environment["DOTNET_PerfMapEnabled"] = "1";
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0"; // perf resolves JIT frames only without W^X double mapping
        }

        if (sampleAllocations)
        {
            info.Environment["SWITCHBOARD_LOADTEST_ALLOCATIONS"] = "1";
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {kind.Name}");
        var server = new ServerProcess(kind, process, port, workDirectory);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    public string LastLines()
    {
        lock (_lock)
        {
            return string.Join(Environment.NewLine, _lastLines);
        }
    }

    /// <summary>Waits until the management endpoint answers.</summary>
    public async Task WaitReadyAsync(ManagementClient management, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Kind.Name} exited with {_process.ExitCode}:{Environment.NewLine}{LastLines()}");
            }

            if (await management.TryGetConnectionCountAsync() is not null)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Kind.Name} did not answer within {timeout}:{Environment.NewLine}{LastLines()}");
    }

    public long ResidentBytes() => ProcStat.ResidentBytes(Pid);

    public bool HasExited => _process.HasExited;

    /// <summary>An aggressive, compacting full GC in the server (through the startup hook), then its VmRSS.</summary>
    public async Task<long> CollectAndMeasureAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _gcDone = done;
        }

        await _process.StandardInput.WriteLineAsync("gc");
        await _process.StandardInput.FlushAsync();
        if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(30))) != done.Task)
        {
            throw new TimeoutException($"{Kind.Name} did not answer the GC request; is the startup hook loaded?");
        }

        await Task.Delay(200);
        return ResidentBytes();
    }

    /// <summary>The allocation samples since the last call, largest type first (needs <c>--allocations</c>).</summary>
    public async Task<IReadOnlyList<string>> TakeAllocationsAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        lock (_lock)
        {
            _allocsDone = done;
            _allocLines = lines;
        }

        await _process.StandardInput.WriteLineAsync("allocs");
        await _process.StandardInput.FlushAsync();
        await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        lock (_lock)
        {
            return [.. lines];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            if (line.StartsWith("[loadtest-hook] alloc ", StringComparison.Ordinal))
            {
                _allocLines?.Add(line["[loadtest-hook] alloc ".Length..]);
                return;
            }

            if (line.Contains("[loadtest-hook] allocs done", StringComparison.Ordinal))
            {
                _allocsDone?.TrySetResult();
                _allocsDone = null;
                return;
            }

            if (line.Contains(GcDoneMarker, StringComparison.Ordinal))
            {
                _gcDone?.TrySetResult();
                _gcDone = null;
                return;
            }

            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
