using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using k8s;
using k8s.Models;
using Switchboard.Configuration;
using Switchboard.Testing;

namespace Switchboard.Redis.Tests;

/// <summary>
/// The deployment files in <c>deploy/</c> (docs/deploy.md) are checked as far as this machine can: the systemd unit by
/// systemd itself, the Kubernetes objects by the Kubernetes client's strict schema, and the Deployment by running the
/// real gateway with its definition, arguments and environment (against a real Redis) and probing its probe paths.
/// </summary>
public sealed class DeploymentFilesTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    private static string DeployFile(params string[] parts) => Path.Combine([RepositoryRoot.Path, "deploy", .. parts]);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task SystemdUnit_PassesSystemdAnalyzeVerify_WhichCatchesABadValue()
    {
        var unit = await File.ReadAllTextAsync(DeployFile("systemd", "switchboard.service"));
        Assert.Contains("ExecStart=/opt/switchboard/switchboard ", unit, StringComparison.Ordinal);

        // verify also checks that the program exists; the tool's install path is not on this machine.
        var runnable = unit.Replace("ExecStart=/opt/switchboard/switchboard ", "ExecStart=/bin/true ", StringComparison.Ordinal);
        var (exitCode, output) = await VerifyAsync("switchboard.service", runnable);
        Assert.True(exitCode == 0 && output.Length == 0, $"systemd-analyze verify exited {exitCode}: {output}");

        // The check can fail: a value systemd cannot parse is reported (it would be ignored at run time).
        var broken = runnable.Replace("LimitNOFILE=65536", "LimitNOFILE=lots", StringComparison.Ordinal);
        var (_, brokenOutput) = await VerifyAsync("broken.service", broken);
        Assert.Contains("lots", brokenOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemdUnit_RaisesTheOpenFileLimit_AndWaitsLongerThanTheGatewayDrains()
    {
        var settings = (await File.ReadAllLinesAsync(DeployFile("systemd", "switchboard.service")))
            .Where(line => line.Contains('=', StringComparison.Ordinal) && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToLookup(pair => pair[0], pair => pair[1]);

        Assert.True(int.Parse(settings["LimitNOFILE"].Single(), CultureInfo.InvariantCulture) >= 20_000);
        var stopTimeout = TimeSpan.FromSeconds(int.Parse(settings["TimeoutStopSec"].Single(), CultureInfo.InvariantCulture));
        Assert.True(stopTimeout > new LimitsOptions().ShutdownTimeout, $"TimeoutStopSec {stopTimeout} must exceed the drain");
        Assert.Equal("SIGTERM", settings["KillSignal"].Single());
    }

    [Fact]
    public void KubernetesManifests_LoadWithTheStrictSchema_WhichRejectsAMisspelledField()
    {
        var kinds = LoadManifests("switchboard.yaml").Concat(LoadManifests("redis.yaml")).Select(o => o.GetType().Name).ToList();
        Assert.Equal(["V1ConfigMap", "V1Deployment", "V1Service", "V1PodDisruptionBudget", "V1Deployment", "V1Service"], kinds);

        var misspelled = File.ReadAllText(DeployFile("kubernetes", "switchboard.yaml")).Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(misspelled, strict: true));
    }

    [Fact]
    public void KubernetesDeployment_GracePeriod_CoversThePreStopSleepAndTheDrain()
    {
        var pod = Deployment().Spec.Template.Spec;
        var preStop = pod.Containers.Single().Lifecycle.PreStop.Exec.Command;
        Assert.Equal("sleep", preStop[0]);
        var needed = TimeSpan.FromSeconds(int.Parse(preStop[1], CultureInfo.InvariantCulture)) + new LimitsOptions().ShutdownTimeout;
        Assert.True(TimeSpan.FromSeconds(pod.TerminationGracePeriodSeconds!.Value) > needed, $"terminationGracePeriodSeconds must exceed {needed}");
    }

    /// <summary>
    /// The Deployment's container, as Kubernetes would start it: its arguments, its environment (Redis pointed at the test's
    /// server, the Secret's API key made up) and the ConfigMap's definition mounted — then its probes' paths and the
    /// scrape path its annotations name answer 200.
    /// </summary>
    [Fact]
    public async Task KubernetesDeployment_StartsTheGateway_AndItsProbeAndScrapePathsAnswer200()
    {
        var definitionDirectory = Directory.CreateDirectory(Path.Combine(_directory.Path, "etc-switchboard")).FullName;
        var configMap = LoadManifests("switchboard.yaml").OfType<V1ConfigMap>().Single();
        foreach (var (name, content) in configMap.Data)
        {
            await File.WriteAllTextAsync(Path.Combine(definitionDirectory, name), content);
        }

        var container = Deployment().Spec.Template.Spec.Containers.Single();
        var mount = container.VolumeMounts.Single().MountPath;
        var arguments = container.Args.Select(argument => argument.Replace(mount, definitionDirectory, StringComparison.Ordinal)).ToList();
        var environment = container.Env.ToDictionary(
            variable => variable.Name,
            variable => variable.Name switch
            {
                "Switchboard__Registry__Redis__Configuration" => redis.Server.Configuration,
                _ when variable.ValueFrom?.SecretKeyRef is not null => "a-made-up-key-for-the-test-0123456789",
                _ => variable.Value,
            });
        Assert.Equal("redis", environment["Switchboard__Registry__Provider"]);

        await using var gateway = await ServerProcess.StartAsync(_directory.Path, arguments, environment: environment);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        var scrapePath = Deployment().Spec.Template.Metadata.Annotations["prometheus.io/path"];
        foreach (var path in new[] { container.ReadinessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Path, scrapePath })
        {
            using var answer = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(answer.IsSuccessStatusCode, $"{path} answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}\n{gateway.Output}");
        }

        Assert.Equal(container.Ports.Single().ContainerPort.ToString(CultureInfo.InvariantCulture), Deployment().Spec.Template.Metadata.Annotations["prometheus.io/port"]);
    }

    /// <summary>
    /// <c>deploy/nginx/switchboard.conf</c> in a real nginx (its upstream, listen address and certificate paths pointed at
    /// the test's) in front of a real gateway that trusts it: a WebSocket over TLS through nginx is upgraded, carries
    /// messages both ways, and the gateway sees what the client used (https, nginx's port) from the forwarded headers.
    /// </summary>
    [Fact]
    public async Task NginxConfiguration_ProxiesWebSocketsOverTls_WithForwardedHeadersTheGatewayBelieves()
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nginx is not installed: ./test.sh installs it (apt-get install nginx-light)");
        await using var backend = await RecordingBackend.StartAsync();
        var definition = Path.Combine(_directory.Path, "api.json");
        await File.WriteAllTextAsync(definition, $$"""
            {"Switchboard": {"Stage": "production", "Routes": [
              {"RouteKey": "$connect", "Integration": {"Type": "http", "Uri": "{{backend.UriFor("connect")}}"} },
              {"RouteKey": "$default", "Integration": {"Type": "inprocess", "Handler": "demo.echo"}, "TwoWay": true} ] } }
            """);
        await using var gateway = await ServerProcess.StartAsync(_directory.Path, ["--definition", definition, "--Switchboard:Security:TrustedProxies:0=127.0.0.1"]);

        var certificate = new SelfSignedCertificate("unused");
        var nginxDirectory = Directory.CreateDirectory(Path.Combine(_directory.Path, "nginx")).FullName;
        await File.WriteAllTextAsync(Path.Combine(nginxDirectory, "cert.pem"), certificate.CertificatePem);
        await File.WriteAllTextAsync(Path.Combine(nginxDirectory, "key.pem"), certificate.PrivateKeyPem);
        var port = ServerProcess.FreePort();
        var site = await File.ReadAllTextAsync(DeployFile("nginx", "switchboard.conf"));
        foreach (var (deployed, here) in new[]
        {
            ("server 127.0.0.1:8081;", $"server 127.0.0.1:{gateway.Port};"),
            ("server 127.0.0.1:8082;", ""),
            ("server 127.0.0.1:8083;", ""),
            ("listen 443 ssl;", $"listen 127.0.0.1:{port} ssl;"),
            ("/etc/ssl/ws.example.com.pem", Path.Combine(nginxDirectory, "cert.pem")),
            ("/etc/ssl/ws.example.com.key", Path.Combine(nginxDirectory, "key.pem")),
        })
        {
            Assert.Contains(deployed, site, StringComparison.Ordinal);
            site = site.Replace(deployed, here, StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(Path.Combine(nginxDirectory, "switchboard.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(nginxDirectory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            pid {{nginxDirectory}}/nginx.pid;
            error_log {{nginxDirectory}}/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{nginxDirectory}}/client_body;
                proxy_temp_path {{nginxDirectory}}/proxy;
                fastcgi_temp_path {{nginxDirectory}}/fastcgi;
                uwsgi_temp_path {{nginxDirectory}}/uwsgi;
                scgi_temp_path {{nginxDirectory}}/scgi;
                include {{nginxDirectory}}/switchboard.conf;
            }
            """);
        using var proxy = Process.Start(new ProcessStartInfo(nginx, ["-p", nginxDirectory, "-c", Path.Combine(nginxDirectory, "nginx.conf"), "-e", Path.Combine(nginxDirectory, "error.log")]))!;
        string NginxLog() => File.Exists(Path.Combine(nginxDirectory, "error.log")) ? File.ReadAllText(Path.Combine(nginxDirectory, "error.log")) : "(no error log)";
        try
        {
            await Eventually.UntilAsync(async () => !proxy.HasExited && await AcceptsAsync(port), TimeSpan.FromSeconds(10), "nginx listens", NginxLog);

            using var handler = certificate.TrustingHandler();
            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri($"wss://127.0.0.1:{port}/production"), new HttpMessageInvoker(handler), CancellationToken.None);
            await client.SendAsync("through nginx"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[1024];
            using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
            var received = await client.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal("through nginx", Encoding.UTF8.GetString(buffer, 0, received.Count));

            var connect = await backend.NextEventAsync("$connect");
            var headers = connect.Event.GetProperty("headers");
            Assert.Equal("https", headers.GetProperty("X-Forwarded-Proto").GetString());
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), headers.GetProperty("X-Forwarded-Port").GetString());
            Assert.Equal("127.0.0.1", connect.RequestContext.GetProperty("identity").GetProperty("sourceIp").GetString());
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        finally
        {
            proxy.Kill();
            await proxy.WaitForExitAsync();
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static List<object> LoadManifests(string name) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(DeployFile("kubernetes", name)), strict: true);

    private static V1Deployment Deployment() => LoadManifests("switchboard.yaml").OfType<V1Deployment>().Single();

    private async Task<(int ExitCode, string Output)> VerifyAsync(string fileName, string unit)
    {
        var path = Path.Combine(_directory.Path, fileName);
        await File.WriteAllTextAsync(path, unit);
        var start = new ProcessStartInfo("systemd-analyze", ["verify", "--man=no", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("systemd-analyze did not start (install systemd)");
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Trim());
    }
}
