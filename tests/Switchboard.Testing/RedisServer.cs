using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Testing;

/// <summary>
/// A real redis-server of the test's own, on a free loopback port, without persistence; stopped by its process id.
/// When redis-server is not installed, <see cref="StartAsync"/> fails with a message saying how to install it (also,
/// and deliberately, under <c>CI=true</c>: a Redis suite that silently skips proves nothing).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(ServerProcess.FreePort());
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

    /// <summary>Starts the server again on the same port, empty (as a restarted Redis without persistence is).</summary>
    public Task RestartAsync() => StartProcessAsync();

    public ValueTask DisposeAsync() => new(KillAsync());

    private async Task StartProcessAsync()
    {
        await KillAsync();
        var start = new ProcessStartInfo(FindExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
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
