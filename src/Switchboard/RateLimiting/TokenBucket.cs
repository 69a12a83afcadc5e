using System.Threading.RateLimiting;

namespace Switchboard.RateLimiting;

/// <summary>
/// A token bucket that is refilled only by <see cref="TryReplenish"/>, which <see cref="GatewayRateLimits"/> calls once a
/// second from a timer on the injected <see cref="TimeProvider"/>. <c>TokenBucketRateLimiter</c> cannot be driven that
/// way: even with <c>AutoReplenishment = false</c> it measures the time since its last refill on the real
/// <c>Stopwatch</c>, so a fake clock could never refill it and tests would have to sleep. No queue: a request over the
/// limit is refused at once. Lock-free; leases are shared instances, so taking a token allocates nothing.
/// </summary>
internal sealed class TokenBucket : ReplenishingRateLimiter
{
    private static readonly RateLimitLease Acquired = new Lease(isAcquired: true);
    private static readonly RateLimitLease Refused = new Lease(isAcquired: false);

    private readonly int _bucketSize;
    private readonly int _tokensPerReplenishment;
    private int _tokens;
    private long _acquired;
    private long _refused;

    /// <param name="bucketSize">Tokens the bucket holds at most, and holds at first.</param>
    /// <param name="tokensPerReplenishment">Tokens each <see cref="TryReplenish"/> adds.</param>
    public TokenBucket(int bucketSize, int tokensPerReplenishment)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerReplenishment);
        _bucketSize = _tokens = bucketSize;
        _tokensPerReplenishment = tokensPerReplenishment;
    }

    /// <summary>True when the bucket holds all it can: the same as a new bucket.</summary>
    public bool IsFull => Volatile.Read(ref _tokens) >= _bucketSize;

    public override bool IsAutoReplenishing => false;

    public override TimeSpan ReplenishmentPeriod => GatewayRateLimits.ReplenishmentPeriod;

    /// <summary>This bucket has no clock of its own: <see cref="TimeSpan.Zero"/> while it is full (idle), else null.</summary>
    public override TimeSpan? IdleDuration => IsFull ? TimeSpan.Zero : null;

    /// <summary>Adds a period's tokens, up to the bucket's size.</summary>
    public override bool TryReplenish()
    {
        int tokens, refilled;
        do
        {
            tokens = Volatile.Read(ref _tokens);
            refilled = (int)Math.Min(_bucketSize, (long)tokens + _tokensPerReplenishment);
        }
        while (Interlocked.CompareExchange(ref _tokens, refilled, tokens) != tokens);

        return true;
    }

    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = Volatile.Read(ref _tokens),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Interlocked.Read(ref _acquired),
        TotalFailedLeases = Interlocked.Read(ref _refused),
    };

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _bucketSize);
        int tokens;
        do
        {
            tokens = Volatile.Read(ref _tokens);
            // A request for 0 tokens asks whether any are left (RateLimiter's contract).
            if (tokens < Math.Max(permitCount, 1))
            {
                Interlocked.Increment(ref _refused);
                return Refused;
            }
        }
        while (permitCount > 0 && Interlocked.CompareExchange(ref _tokens, tokens - permitCount, tokens) != tokens);

        Interlocked.Increment(ref _acquired);
        return Acquired;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private sealed class Lease(bool isAcquired) : RateLimitLease
    {
        public override bool IsAcquired => isAcquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
