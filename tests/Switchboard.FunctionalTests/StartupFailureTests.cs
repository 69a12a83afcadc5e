using System.Net;
using System.Net.Sockets;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The executable refused by its environment (a busy port, an address it cannot bind, a registry path it cannot use,
/// a certificate it cannot load):
/// exit code 2 and one line that names the address or path and the real reason, never a stack trace or an abort.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class StartupFailureTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task BusyPort_ExitsWith2_NamingTheAddress()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["--urls", address]);

        AssertOneLineFailure(exitCode, output, address, "address already in use");
    }

    [Fact]
    public async Task AddressThisHostDoesNotHave_ExitsWith2_NamingTheAddress()
    {
        // TEST-NET-1 (RFC 5737): never assigned to an interface.
        var address = $"http://192.0.2.1:{ServerProcess.FreePort()}";

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["--urls", address]);

        AssertOneLineFailure(exitCode, output, address, "Cannot assign requested address");
    }

    [Fact]
    public async Task RegistryPathInAMissingDirectory_ExitsWith2_AndCreatesNothing()
    {
        var missing = Path.Combine(_directory.Path, "no", "such");

        var (exitCode, output) = await RunServerAsync(["--Switchboard:Registry:Sqlite:Path", Path.Combine(missing, "registry.db")]);

        AssertOneLineFailure(exitCode, output, "Switchboard:Registry:Sqlite:Path", $"the directory {missing} of the registry file");
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "no")));
    }

    [Fact]
    public async Task RegistryLockFileThatIsADirectory_ExitsWith2_SayingSo()
    {
        var registry = Path.Combine(_directory.Path, "registry.db");
        Directory.CreateDirectory(registry + ".lock");

        var (exitCode, output) = await RunServerAsync(["--Switchboard:Registry:Sqlite:Path", registry]);

        AssertOneLineFailure(exitCode, output, registry + ".lock", "is a directory");
        Assert.DoesNotContain("another Switchboard process", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegistryLockFileThatCannotBeCreated_ExitsWith2_WithTheRealReason_NotAnotherProcess()
    {
        var registry = Path.Combine(_directory.Path, "registry.db");
        File.CreateSymbolicLink(registry + ".lock", Path.Combine(_directory.Path, "gone", "registry.db.lock"));

        var (exitCode, output) = await RunServerAsync(["--Switchboard:Registry:Sqlite:Path", registry]);

        AssertOneLineFailure(exitCode, output, $"cannot create the lock file {registry}.lock", "Could not find");
        Assert.DoesNotContain("another Switchboard process", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegistryLockedByAnotherProcess_ExitsWith2_SayingSo()
    {
        await using var first = await ServerProcess.StartAsync(_directory.Path, []);

        var (exitCode, output) = await RunServerAsync([]);

        AssertOneLineFailure(exitCode, output, Path.Combine(_directory.Path, "switchboard.db"), "is in use by another Switchboard process");
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task CertificateFileThatIsNotOne_ExitsWith2_NamingTheKeyAndTheFileInTheWorkingDirectory()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "gateway.pfx"), "not a certificate");

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, HttpsEndpoint("gateway.pfx"));

        AssertOneLineFailure(exitCode, output, "cannot load the TLS certificate", $"Kestrel:Endpoints:Https:Certificate ({Path.Combine(_directory.Path, "gateway.pfx")})");
    }

    [Fact]
    public async Task CertificateWithTheWrongPassword_ExitsWith2_WithoutPrintingAnyPassword()
    {
        await File.WriteAllBytesAsync(Path.Combine(_directory.Path, "gateway.pfx"), new SelfSignedCertificate("the-right-password").Pfx);

        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, [.. HttpsEndpoint("gateway.pfx"), "--Kestrel:Endpoints:Https:Certificate:Password=a-wrong-password"]);

        AssertOneLineFailure(exitCode, output, "cannot load the TLS certificate", Path.Combine(_directory.Path, "gateway.pfx"), "password");
        Assert.DoesNotContain("a-wrong-password", output, StringComparison.Ordinal);
        Assert.DoesNotContain("the-right-password", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpsWithoutAnyCertificate_ExitsWith2_SayingHowToNameOne()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync(_directory.Path, ["--urls", $"https://127.0.0.1:{ServerProcess.FreePort()}"], DevelopmentCertificatesElsewhere());

        AssertOneLineFailure(exitCode, output, "Unable to configure HTTPS endpoint", "Kestrel:Endpoints:<name>:Certificate:Path", "dotnet dev-certs https");
    }

    [Fact]
    public async Task RelativeCertificatePath_IsReadFromTheWorkingDirectory()
    {
        await File.WriteAllBytesAsync(Path.Combine(_directory.Path, "gateway.pfx"), new SelfSignedCertificate("secret").Pfx);
        var port = ServerProcess.FreePort();

        await using var server = await ServerProcess.StartAsync(
            _directory.Path,
            [$"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}", .. HttpsEndpoint("gateway.pfx"), "--Kestrel:Endpoints:Https:Certificate:Password=secret"],
            port);

        await Eventually.UntilAsync(() => Task.FromResult(server.Output.Contains("wss://127.0.0.1:", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the https endpoint in the banner", () => server.Output);
    }

    /// <summary>An https endpoint on a free port with the certificate file <paramref name="path"/> (relative to the working directory).</summary>
    private static string[] HttpsEndpoint(string path) =>
        [$"--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{ServerProcess.FreePort()}", $"--Kestrel:Endpoints:Https:Certificate:Path={path}"];

    /// <summary>A HOME without the ASP.NET Core development certificate, whatever the machine's user has.</summary>
    private Dictionary<string, string> DevelopmentCertificatesElsewhere()
    {
        var home = Directory.CreateDirectory(Path.Combine(_directory.Path, "home")).FullName;
        return new() { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home };
    }

    private Task<(int ExitCode, string Output)> RunServerAsync(string[] arguments) =>
        ServerProcess.RunToExitAsync(_directory.Path, [.. arguments, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}"]);

    /// <summary>Exit code 2, no stack trace and no host error log, one "cannot start" line holding every expected part.</summary>
    internal static void AssertOneLineFailure(int exitCode, string output, params string[] parts)
    {
        Assert.True(exitCode == 2, $"exit code {exitCode}:{Environment.NewLine}{output}");
        Assert.False(output.Contains("   at ", StringComparison.Ordinal) || output.Contains("Unhandled exception", StringComparison.Ordinal) || output.Contains("fail:", StringComparison.Ordinal), output);
        var line = Assert.Single(output.Split('\n'), line => line.StartsWith("Switchboard cannot start", StringComparison.Ordinal));
        Assert.All(parts, part => Assert.Contains(part, line, StringComparison.Ordinal));
    }
}
