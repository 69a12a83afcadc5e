using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Connections;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>
/// The node's one Redis multiplexer, shared by the registry and the backplane (so everything a node publishes leaves
/// in order on one connection). Connects at startup — a node needs Redis to start — and afterwards rides out Redis
/// restarts and outages: StackExchange.Redis reconnects and re-subscribes by itself, commands fail fast meanwhile,
/// and <see cref="Restored"/> tells the registry to re-register at once.
/// </summary>
internal sealed class RedisConnection(IOptions<RedisScaleOutOptions> options, NodeIdentity node, TimeProvider time, ILogger<RedisConnection> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly RedisScaleOutOptions _options = options.Value;
    private IConnectionMultiplexer? _multiplexer;
    private long _unreachableSinceMs;

    public RedisKeys Keys { get; } = new(options.Value.KeyPrefix);

    public IDatabase Database => Multiplexer.GetDatabase();

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>When the connection to Redis was lost; null while connected.</summary>
    public DateTimeOffset? UnreachableSince =>
        Interlocked.Read(ref _unreachableSinceMs) is var ms and not 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>Raised (on a StackExchange.Redis thread) when a physical connection to Redis is back.</summary>
    public event Action? Restored;

    private IConnectionMultiplexer Multiplexer => _multiplexer ?? throw new RegistryUnavailableException("The Redis registry is not started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var multiplexer = _options.ConnectionFactory is { } factory
            ? await factory(TextWriter.Null).ConfigureAwait(false)
            : await ConnectAsync(_options.Configuration!).ConfigureAwait(false);
        var endpoints = string.Join(", ", multiplexer.GetEndPoints().Select(endpoint => endpoint.ToString()));
        if (!multiplexer.IsConnected)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            throw new RegistryUnavailableException(
                $"Redis ({endpoints}, from {(_options.ConnectionFactory is null ? RedisScaleOutOptions.Section.FullPath + ":Configuration" : "the ConnectionFactory")}) is unreachable; a node needs Redis to start. " +
                "Once started, nodes keep running through Redis outages.");
        }

        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        _multiplexer = multiplexer;
        RedisLog.Connected(logger, node.Id, endpoints, _options.KeyPrefix);
    }

    private async Task<IConnectionMultiplexer> ConnectAsync(string configurationString)
    {
        var configuration = ConfigurationOptions.Parse(configurationString);

        // Keep reconnecting after a failure instead of giving up, and fail commands at once while there is no
        // connection: a connect attempt then gets 503 right away instead of waiting out a timeout.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "switchboard-" + node.Id;
        return await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_multiplexer is { } multiplexer)
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is { } multiplexer)
        {
            _multiplexer = null;
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // Logged once per outage, not once per reconnect attempt.
        if (Interlocked.CompareExchange(ref _unreachableSinceMs, time.GetUtcNow().ToUnixTimeMilliseconds(), 0) == 0)
        {
            RedisLog.ConnectionLost(logger, e.FailureType.ToString(), e.ConnectionType.ToString(), e.EndPoint?.ToString() ?? "?", e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        var since = Interlocked.Exchange(ref _unreachableSinceMs, 0);
        if (since != 0)
        {
            var seconds = (time.GetUtcNow().ToUnixTimeMilliseconds() - since) / 1000.0;
            RedisLog.ConnectionRestored(logger, e.ConnectionType.ToString(), e.EndPoint?.ToString() ?? "?", seconds);
        }

        Restored?.Invoke();
    }
}
