using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Switchboard.Server;

/// <summary>Turns startup failures caused by configuration or the environment into a readable line or list instead of a stack trace.</summary>
internal static class ConfigurationError
{
    /// <param name="exception">What startup threw.</param>
    /// <param name="configuration">
    /// The application's configuration when it was built: the addresses to listen on and the certificates to load are
    /// named from it when binding or loading one of them failed.
    /// </param>
    /// <param name="description">The text for stderr.</param>
    public static bool TryDescribe(Exception exception, IConfiguration? configuration, out string description)
    {
        var listenAddresses = configuration?["urls"];
        switch (exception)
        {
            case OptionsValidationException validation:
                description = Describe([validation]);
                return true;
            case AggregateException aggregate when aggregate.InnerExceptions.All(inner => inner is OptionsValidationException):
                // Each options class with errors (the gateway's and each backend's) reports its own, all at startup.
                description = Describe(aggregate.InnerExceptions.Cast<OptionsValidationException>());
                return true;
            case IOException { Message: var bind } when bind.StartsWith("Failed to bind to address", StringComparison.Ordinal):
                // Kestrel's own message names the address and, for a busy port, the reason.
                description = "Switchboard cannot start: " + bind;
                return true;
            case SocketException socket:
                // Other bind failures (an address this host does not have, a privileged port) surface unwrapped.
                description = $"Switchboard cannot start: failed to listen on {listenAddresses ?? "the configured address"}: {socket.Message}.";
                return true;
            case InvalidOperationException { InnerException: IOException or UnauthorizedAccessException } or FileNotFoundException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case InvalidOperationException { Message: var bindMessage } when bindMessage.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                description = "Switchboard cannot start: " + bindMessage;
                return true;
            case Switchboard.Registry.RegistryUnavailableException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case InvalidDataException or JsonException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case CryptographicException or ArgumentException { TargetSite.DeclaringType.Namespace: "System.Security.Cryptography" }:
                // Kestrel loading a certificate or key that is not one, or with the wrong password; its message names neither.
                description = $"Switchboard cannot start: cannot load the TLS certificate {DescribeCertificates(configuration)}: {exception.Message}";
                return true;
            case InvalidOperationException { Message: var https } when https.StartsWith("Unable to configure HTTPS endpoint", StringComparison.Ordinal):
                // Kestrel's message goes on for two more lines about trusting the certificate on Windows and macOS.
                description = $"Switchboard cannot start: {https.Split('\n')[0].TrimEnd()} Name one with Kestrel:Endpoints:<name>:Certificate:Path " +
                    "(and :Password or :KeyPath), or create a development certificate with 'dotnet dev-certs https'.";
                return true;
            default:
                description = "";
                return false;
        }
    }

    /// <summary>"Kestrel:Endpoints:Https:Certificate (/etc/tls/gateway.pfx)", each configured certificate, or a generic name.</summary>
    private static string DescribeCertificates(IConfiguration? configuration)
    {
        if (configuration is null)
        {
            return "configured for Kestrel";
        }

        var certificates = configuration.GetSection("Kestrel:Certificates").GetChildren()
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint.GetSection("Certificate")))
            .Where(certificate => certificate["Path"] is { Length: > 0 })
            .Select(certificate => $"{certificate.Path} ({certificate["Path"]}{(certificate["KeyPath"] is { Length: > 0 } key ? ", key " + key : "")})")
            .ToList();
        return certificates.Count == 0 ? "configured for Kestrel" : string.Join(" or ", certificates);
    }

    private static string Describe(IEnumerable<OptionsValidationException> validations) =>
        "Switchboard cannot start: the configuration has errors:" + Environment.NewLine
        + string.Join(Environment.NewLine, validations.SelectMany(validation => validation.Failures).Distinct().Select(failure => "  " + failure));

    /// <summary>
    /// Adds the JSON definition file at <paramref name="path"/> (loaded at once). A syntax error is reported with the
    /// parser's line and column, which the configuration provider's own message leaves out.
    /// </summary>
    public static void AddDefinitionFile(IConfigurationBuilder configuration, string path)
    {
        try
        {
            configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
        }
        catch (InvalidDataException exception) when (DescribeSyntaxError(exception, path) is { } description)
        {
            throw new InvalidDataException(description, exception);
        }
    }

    /// <summary>"the definition file … is not valid JSON: line 3, column 7: …" when <paramref name="exception"/> is the JSON parser's; else null.</summary>
    public static string? DescribeSyntaxError(Exception exception, string path) =>
        FindJsonError(exception) is { } json ? $"the definition file {path} is not valid JSON: {Describe(json)}" : null;

    private static JsonException? FindJsonError(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    /// <summary>"line 3, column 7: 'x' is an invalid start of a value." (1-based; the parser counts from 0 and appends its own positions).</summary>
    private static string Describe(JsonException json)
    {
        var reason = json.Message;
        var positions = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (positions >= 0)
        {
            reason = reason[..positions];
        }

        return json.LineNumber is { } line && json.BytePositionInLine is { } column
            ? $"line {line + 1}, column {column + 1}: {reason}"
            : reason;
    }
}
