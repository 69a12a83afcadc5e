using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Testing;

/// <summary>
/// A real redis-server of the test's own, on a free loopback port, without persistence unless asked (then an
/// append-only file synced on every write, so a SIGKILL loses nothing Redis acknowledged); stopped by its process id.
/// <c>DEBUG</c> is enabled for local clients (tests pause Redis with <c>DEBUG SLEEP</c>).
/// When redis-server is not installed, <see cref="StartAsync"/> fails with a message saying how to install it (also,
/// and deliberately, under <c>CI=true</c>: a Redis suite that silently skips proves nothing).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly TemporaryDirectory? _dataDirectory;
    private Process? _process;

    private RedisServer(int port, bool persistent)
    {
        Port = port;
        _dataDirectory = persistent ? new TemporaryDirectory() : null;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    /// <summary>Starts a server; <paramref name="persistent"/> keeps its data across <see cref="KillAsync"/> and <see cref="RestartAsync"/>.</summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false)
    {
        var server = new RedisServer(ServerProcess.FreePort(), persistent);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Stops the server at once (SIGKILL): nothing is saved, clients see their connections drop.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync().WaitAsync(StartTimeout);
            process.Dispose();
        }
    }

    /// <summary>Starts the server again on the same port: empty (as a restarted Redis without persistence is), or with its data when persistent.</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _dataDirectory?.Dispose();
    }

    private async Task StartProcessAsync()
    {
        await KillAsync();
        var start = new ProcessStartInfo(FindExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _dataDirectory is { } data
            ? ["--dir", data.Path, "--save", "", "--appendonly", "yes", "--appendfsync", "always"]
            : ["--save", "", "--appendonly", "no"];
        string[] arguments = ["--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--protected-mode", "yes", "--enable-debug-command", "local", .. persistence];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(line);
            }

            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server on port {Port} exited before it was ready:{Environment.NewLine}{string.Join(Environment.NewLine, output)}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(StartTimeout);
    }

    private static string FindExecutable()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);
        if (path is not null)
        {
            return path;
        }

        var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true: Redis tests fail rather than skip)" : "";
        throw new InvalidOperationException(
            "redis-server is not installed, so the Redis tests cannot run" + ci + ". Install it with " +
            "`apt-get install -y --no-install-recommends redis-server` (./test.sh does this when run as root).");
    }
}
