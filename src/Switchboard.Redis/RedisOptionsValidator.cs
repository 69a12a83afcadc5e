using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>Checks <c>Switchboard:Registry:Redis</c>; every error names its key.</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<RedisScaleOutOptions>
{
    private static readonly string Root = RedisScaleOutOptions.Section.FullPath;

    public ValidateOptionsResult Validate(string? name, RedisScaleOutOptions options)
    {
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{Root}:{key}: {message}");

        if (options.ConnectionFactory is null)
        {
            ValidateConfiguration(options.Configuration, Error);
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Any(char.IsWhiteSpace))
        {
            Error(nameof(options.KeyPrefix), $"'{options.KeyPrefix}' must be non-empty and without whitespace");
        }

        foreach (var (key, value) in new[] { (nameof(options.HeartbeatInterval), options.HeartbeatInterval), (nameof(options.NodeTimeout), options.NodeTimeout), (nameof(options.RequestTimeout), options.RequestTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                Error(key, $"must be positive (got {value})");
            }
        }

        if (options.HeartbeatInterval > TimeSpan.Zero && options.NodeTimeout < options.HeartbeatInterval * 2)
        {
            Error(nameof(options.NodeTimeout), $"{options.NodeTimeout} must be at least twice {Root}:HeartbeatInterval ({options.HeartbeatInterval}), or one late heartbeat declares a live node dead");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateConfiguration(string? configuration, Action<string, string> error)
    {
        const string Key = nameof(RedisScaleOutOptions.Configuration);
        if (string.IsNullOrWhiteSpace(configuration))
        {
            error(Key, "is required for Redis (a StackExchange.Redis configuration string, e.g. 127.0.0.1:6379)");
            return;
        }

        try
        {
            if (ConfigurationOptions.Parse(configuration).EndPoints.Count == 0)
            {
                error(Key, $"'{configuration}' names no Redis endpoint (host:port)");
            }
        }
        catch (ArgumentException exception)
        {
            error(Key, $"not a valid StackExchange.Redis configuration string: {exception.Message}");
        }
    }
}
