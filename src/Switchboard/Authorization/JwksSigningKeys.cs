using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Configuration;
using Switchboard.Diagnostics;

namespace Switchboard.Authorization;

/// <summary>
/// The issuer's keys from its JWKS URL, cached. Fetched on first need; fetched again when the set is older than
/// <see cref="JwtAuthorizerOptions.JwksRefreshInterval"/>, or when a token names a <c>kid</c> the set lacks (the issuer
/// rotated its keys) — never more often than <see cref="JwtAuthorizerOptions.JwksMinimumRefreshInterval"/>, failed
/// fetches included, so neither unknown kids nor an issuer that is down make the gateway hammer it. One fetch at a time.
/// A failed fetch keeps the keys fetched before; with none, tokens cannot be checked and the handshake fails closed.
/// </summary>
internal sealed class JwksSigningKeys : IJwtSigningKeys
{
    private readonly HttpClient _http;
    private readonly Uri _uri;
    private readonly JwtAuthorizerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LogThrottle _failureLog;
    private readonly Lock _gate = new();
    // The fetch running now, which every handshake that needs keys meanwhile waits for; null between fetches.
    private Task? _fetch;
    private volatile KeySet? _keys;
    /// <summary>When the last fetch started, as a <see cref="TimeProvider.GetTimestamp"/> (intervals are elapsed time, not wall time); null before the first.</summary>
    private long? _lastAttempt;

    public JwksSigningKeys(HttpClient http, JwtAuthorizerOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _uri = new Uri(options.JwksUri!);
        _options = options;
        _time = time;
        _logger = logger;
        _failureLog = new LogThrottle(time, LogThrottle.RefusalInterval);
    }

    public async ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(string? keyId, CancellationToken cancellationToken)
    {
        Task? fetch = null;
        lock (_gate)
        {
            if (_fetch is not null)
            {
                fetch = _fetch;
            }
            else if (NeedsFetch(_keys, keyId))
            {
                _lastAttempt = _time.GetTimestamp();
                fetch = _fetch = FetchAsync();
            }
        }

        if (fetch is not null)
        {
            await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return _keys?.Keys;
    }

    private bool NeedsFetch(KeySet? keys, string? keyId)
    {
        if (_lastAttempt is { } lastAttempt && _time.GetElapsedTime(lastAttempt) < _options.JwksMinimumRefreshInterval)
        {
            return false;
        }

        return keys is null || _time.GetElapsedTime(keys.FetchedAt) >= _options.JwksRefreshInterval || (keyId is not null && !keys.KeyIds.Contains(keyId));
    }

    private async Task FetchAsync()
    {
        // Off the caller's stack, so that the lock is not held while the fetch starts.
        await Task.Yield();
        try
        {
            using var timeout = new CancellationTokenSource(_options.JwksTimeout, _time);
            using var response = await _http.GetAsync(_uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Failed($"HTTP {(int)response.StatusCode}");
                return;
            }

            var json = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            var set = new JsonWebKeySet(json);
            var keys = set.Keys.Where(IsSigningKey).ToList<SecurityKey>();
            if (keys.Count == 0)
            {
                Failed("the key set has no RSA or EC signing key");
                return;
            }

            _keys = new KeySet(keys, set.Keys.Where(IsSigningKey).Select(key => key.Kid).OfType<string>().ToHashSet(StringComparer.Ordinal), _time.GetTimestamp());
            Log.JwksFetched(_logger, _uri, keys.Count);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            Failed(exception is OperationCanceledException ? $"no answer within {_options.JwksTimeout.TotalSeconds:0.#} s" : exception.Message);
        }
        finally
        {
            lock (_gate)
            {
                _fetch = null;
            }
        }
    }

    /// <summary>Only public keys for signatures: an <c>enc</c> key or a symmetric one is never used to check a token.</summary>
    private static bool IsSigningKey(JsonWebKey key) =>
        key.Kty is "RSA" or "EC" && (string.IsNullOrEmpty(key.Use) || key.Use == "sig");

    private void Failed(string reason)
    {
        if (_failureLog.TryEnter(out var suppressed))
        {
            Log.JwksUnavailable(_logger, _uri, reason, suppressed);
        }
    }

    /// <summary>The keys fetched, their ids, and when (<c>FetchedAt</c>, a <see cref="TimeProvider.GetTimestamp"/>).</summary>
    private sealed record KeySet(IReadOnlyList<SecurityKey> Keys, HashSet<string> KeyIds, long FetchedAt);
}
