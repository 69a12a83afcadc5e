using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switchboard.Testing;

/// <summary>
/// A certificate for <c>localhost</c>/<c>127.0.0.1</c>, valid for a day, made for one test's https and wss endpoints,
/// and clients that trust exactly that certificate.
/// </summary>
public sealed class SelfSignedCertificate
{
    private readonly string _thumbprint;

    public SelfSignedCertificate(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        Pfx = certificate.Export(X509ContentType.Pkcs12, password);
        CertificatePem = certificate.ExportCertificatePem();
        PrivateKeyPem = key.ExportPkcs8PrivateKeyPem();
        _thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>The certificate with its private key as PKCS#12 (a <c>.pfx</c> file's content), under the password given.</summary>
    public byte[] Pfx { get; }

    /// <summary>The certificate alone, PEM-encoded (for servers such as nginx that read PEM files).</summary>
    public string CertificatePem { get; }

    /// <summary>The certificate's private key, PKCS#8 PEM, unencrypted.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>A client handler that accepts this certificate and no other (for HttpClient and ClientWebSocket).</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString(HashAlgorithmName.SHA256) == _thumbprint,
        },
    };
}
