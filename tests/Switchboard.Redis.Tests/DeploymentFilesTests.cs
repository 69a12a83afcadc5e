using System.Diagnostics;
using System.Globalization;
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
    /// server, the Secret's API key made up) and the ConfigMap's definition mounted — then its probes' paths answer 200.
    /// </summary>
    [Fact]
    public async Task KubernetesDeployment_StartsTheGateway_AndItsProbePathsAnswer200()
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
        foreach (var probe in new[] { container.ReadinessProbe, container.LivenessProbe })
        {
            using var answer = await http.GetAsync(new Uri(probe.HttpGet.Path, UriKind.Relative));
            Assert.True(answer.IsSuccessStatusCode, $"{probe.HttpGet.Path} answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}\n{gateway.Output}");
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
