using Microsoft.Extensions.Options;

namespace Switchboard.Server;

/// <summary>Turns startup failures caused by configuration into a readable list instead of a stack trace.</summary>
internal static class ConfigurationError
{
    public static bool TryDescribe(Exception exception, out string description)
    {
        switch (exception)
        {
            case OptionsValidationException validation:
                description = "Switchboard cannot start: the configuration has errors:" + Environment.NewLine
                    + string.Join(Environment.NewLine, validation.Failures.Select(failure => "  " + failure));
                return true;
            case InvalidOperationException { InnerException: IOException } or FileNotFoundException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case InvalidOperationException { Message: var bindMessage } when bindMessage.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                description = "Switchboard cannot start: " + bindMessage;
                return true;
            case Switchboard.Registry.RegistryUnavailableException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case System.IO.InvalidDataException or System.Text.Json.JsonException:
                description = "Switchboard cannot start: the definition file is not valid JSON: " + exception.Message;
                return true;
            default:
                description = "";
                return false;
        }
    }
}
