using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Switchboard.LoadTest;

/// <summary>
/// The gateways of a churn run: one Switchboard process on a SQLite file, or a redis-server of the harness's own and
/// several Switchboard processes sharing it. Every process gets the same definition: <c>$connect</c>,
/// <c>$disconnect</c> and a two-way <c>$default</c>, each an <c>http</c> integration calling <paramref name="backend"/>.
/// </summary>
internal sealed class ChurnGateways : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _redis;

    private ChurnGateways(string directory) => _directory = directory;

    public List<ServerProcess> Nodes { get; } = [];

    public List<ManagementClient> Management { get; } = [];

    public int? RedisPid => _redis?.Id;

    public static async Task<ChurnGateways> StartAsync(string registry, int nodes, IntegrationBackend backend, string repositoryRoot, Action<string> progress)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"switchboard-churn-{Environment.ProcessId}-{registry}");
        Directory.CreateDirectory(directory);
        var gateways = new ChurnGateways(directory);
        try
        {
            var definition = Path.Combine(directory, "churn-api.json");
            await File.WriteAllTextAsync(definition, Definition(backend));
            List<string> arguments = ["--definition", definition];
            if (registry == "redis")
            {
                var port = await gateways.StartRedisAsync();
                progress($"redis-server: pid {gateways.RedisPid}, 127.0.0.1:{port}");
                arguments.AddRange(["--Switchboard:Registry:Provider=redis", $"--Switchboard:Registry:Redis:Configuration=127.0.0.1:{port}"]);
            }
            else
            {
                nodes = 1;
            }

            for (var i = 0; i < nodes; i++)
            {
                var node = ServerProcess.Start(ServerKind.Switchboard, repositoryRoot, tls: null, extraArguments: arguments);
                gateways.Nodes.Add(node);
                var management = new ManagementClient(node.Port, 4, tls: null);
                gateways.Management.Add(management);
                await node.WaitReadyAsync(management, TimeSpan.FromSeconds(60));
                progress($"gateway {i + 1}/{nodes} ({registry}): pid {node.Pid}, ws://127.0.0.1:{node.Port}/production");
            }
        }
        catch
        {
            await gateways.DisposeAsync();
            throw;
        }

        return gateways;
    }

    /// <summary>The definition every node loads (Stage <c>production</c>, routes selected by <c>action</c>).</summary>
    public static string Definition(IntegrationBackend backend) => JsonSerializer.Serialize(new
    {
        Switchboard = new
        {
            Stage = "production",
            RouteSelectionExpression = "$request.body.action",
            Routes = new object[]
            {
                new { RouteKey = "$connect", Integration = new { Type = "http", Uri = backend.ConnectUri.ToString() } },
                new { RouteKey = "$disconnect", Integration = new { Type = "http", Uri = backend.DisconnectUri.ToString() } },
                new { RouteKey = "$default", Integration = new { Type = "http", Uri = backend.DefaultUri.ToString() }, TwoWay = true },
            },
        },
    });

    /// <summary>The registry's count of connections: the listing of <c>GET @connections</c> (cluster-wide with Redis).</summary>
    public Task<int> RegistryCountAsync() => Management[0].CountListedAsync();

    /// <summary>The sum of every node's own table (<c>GET @stats</c> connections); -1 when a node did not answer.</summary>
    public async Task<int> LocalCountAsync()
    {
        var sum = 0;
        foreach (var management in Management)
        {
            if (await management.TryGetConnectionCountAsync() is not { } count)
            {
                return -1;
            }

            sum += count;
        }

        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var management in Management)
        {
            management.Dispose();
        }

        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (_redis is { } redis)
        {
            if (!redis.HasExited)
            {
                redis.Kill();
            }

            await redis.WaitForExitAsync();
            redis.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A redis-server without persistence on a free loopback port; waits until it accepts connections.</summary>
    private async Task<int> StartRedisAsync()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Close();
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" })
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _redis = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server (apt-get install redis-server)");
        _redis.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Ready to accept connections", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        _redis.ErrorDataReceived += (_, _) => { };
        _redis.BeginOutputReadLine();
        _redis.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return port;
    }
}
