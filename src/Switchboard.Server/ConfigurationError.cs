using Microsoft.Extensions.Options;

namespace Switchboard.Server;

/// <summary>Turns startup failures caused by configuration into a readable list instead of a stack trace.</summary>
internal static class ConfigurationError
{
    public static bool TryDescribe(Exception exception, out string description)
    {
        // Inside a collection (Routes:N) the binder wraps the real failure in "'ErrorOnUnknownConfiguration' was set
        // and binding has failed"; the inner exception is the one that names the key.
        if (exception is InvalidOperationException { InnerException: InvalidOperationException inner }
            && exception.Message.Contains("binding has failed", StringComparison.Ordinal))
        {
            return TryDescribe(inner, out description);
        }

        switch (exception)
        {
            case OptionsValidationException validation:
                description = "Switchboard cannot start: the configuration has errors:" + Environment.NewLine
                    + string.Join(Environment.NewLine, validation.Failures.SelectMany(f => f.Split("; ")).Select(f => "  " + f));
                return true;
            case InvalidOperationException { Message: var message } when message.Contains("was not found on type", StringComparison.Ordinal)
                                                                         || message.Contains("configuration keys", StringComparison.Ordinal)
                                                                         || message.Contains("were not found on the instance of", StringComparison.Ordinal):
                description = "Switchboard cannot start: unknown configuration key. " + message;
                return true;
            case InvalidOperationException { InnerException: IOException } or FileNotFoundException:
                description = "Switchboard cannot start: " + exception.Message;
                return true;
            case InvalidOperationException { Message: var bindMessage } when bindMessage.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                description = "Switchboard cannot start: " + bindMessage;
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
