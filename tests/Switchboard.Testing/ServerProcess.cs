using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Testing;

/// <summary>
/// The real <c>Switchboard.Server</c> executable as a child process on a free loopback port — for what only a
/// real process shows: SIGKILL, restart, SIGTERM.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    /// <summary>True once the process has ended (for example aborted).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>; 134 is an abort (SIGABRT).</summary>
    public int ExitCode => _process.ExitCode;

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Waits until <paramref name="text"/> has appeared in the output <paramref name="times"/> times (lines already printed count).</summary>
    public Task WaitForOutputAsync(string text, int times = 1, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () => Task.FromResult(Occurrences(text)),
            count => count >= times,
            timeout ?? TimeSpan.FromSeconds(30),
            $"'{text}' {times} time(s) in the server's output",
            () => Output);

    private int Occurrences(string text)
    {
        lock (_output)
        {
            return _output.Count(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>The server's entry assembly, built next to the tests (the test project references it).</summary>
    public static string ServerAssembly => Path.Combine(AppContext.BaseDirectory, "Switchboard.Server.dll");

    /// <summary>
    /// Starts the server and waits until it listens. <paramref name="arguments"/> are passed through;
    /// <paramref name="openFileLimit"/> runs it under <c>ulimit -n</c> (soft and hard limit).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string workingDirectory, IEnumerable<string> arguments, int? port = null, IDictionary<string, string>? environment = null, int? openFileLimit = null)
    {
        port ??= FreePort();
        var start = StartInfo(workingDirectory, ["--urls", $"http://127.0.0.1:{port}", .. arguments], environment, openFileLimit);
        start.Environment.TryAdd("Logging__LogLevel__Default", "Information");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, port.Value);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => server._listening.TrySetException(new InvalidOperationException($"The server exited with {process.ExitCode} before listening:{Environment.NewLine}{server.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>Runs the executable to completion (for commands and startup failures); returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string workingDirectory, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        using var process = Process.Start(StartInfo(workingDirectory, arguments, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to end; true when it has.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: the process dies without any cleanup, as in a crash.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM: a graceful shutdown; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    private static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> arguments, IDictionary<string, string>? environment, int? openFileLimit = null)
    {
        var start = new ProcessStartInfo(openFileLimit is null ? "dotnet" : "bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (openFileLimit is { } limit)
        {
            // exec: the process id stays the server's, so kill and SIGTERM reach it.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"ulimit -n {limit} && exec dotnet \"$@\"");
            start.ArgumentList.Add("bash");
        }

        start.ArgumentList.Add(ServerAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.Contains("Now listening on:", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
