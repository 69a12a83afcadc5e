using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.LoadTest;

/// <summary>
/// For <c>--tls</c>: one self-signed certificate for the whole run, written to a file every server loads as its https
/// endpoint (<c>Kestrel:Endpoints:Https</c>, the configuration that gives Switchboard direct upgrades under TLS), and the
/// client-side check that accepts exactly that certificate.
/// </summary>
internal sealed class HarnessTls : IDisposable
{
    private const string Password = "loadtest";
    private readonly string _directory;
    private readonly string _thumbprint;

    public HarnessTls()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"switchboard-loadtest-tls-{Environment.ProcessId}");
        Directory.CreateDirectory(_directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(2));
        CertificatePath = Path.Combine(_directory, "server.pfx");
        File.WriteAllBytes(CertificatePath, certificate.Export(X509ContentType.Pkcs12, Password));
        _thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    public string CertificatePath { get; }

    /// <summary>The server's command-line arguments for an https endpoint on <paramref name="port"/> (instead of <c>--urls</c>).</summary>
    public IEnumerable<string> ServerArguments(int port) =>
    [
        $"--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{port}",
        $"--Kestrel:Endpoints:Https:Certificate:Path={CertificatePath}",
        $"--Kestrel:Endpoints:Https:Certificate:Password={Password}",
    ];

    /// <summary>Accepts the run's certificate and no other.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == _thumbprint;

    public SslClientAuthenticationOptions ClientOptions() => new() { TargetHost = "localhost", RemoteCertificateValidationCallback = Validate };

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
