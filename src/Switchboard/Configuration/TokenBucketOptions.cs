namespace Switchboard.Configuration;

/// <summary>
/// One rate limit as a token bucket: <see cref="PerSecond"/> tokens are added once a second, the bucket holds at most
/// <see cref="Burst"/>, and each request takes one. Off when <see cref="PerSecond"/> is 0.
/// </summary>
public sealed class TokenBucketOptions
{
    /// <summary>Requests allowed per second, on average; 0 (the default) turns the limit off.</summary>
    public int PerSecond { get; set; }

    /// <summary>
    /// Requests allowed at once after a quiet period (the bucket's size); 0 (the default) means <see cref="PerSecond"/>.
    /// At least <see cref="PerSecond"/>, since tokens are added once a second.
    /// </summary>
    public int Burst { get; set; }

    /// <summary>True when the limit applies.</summary>
    internal bool IsOn => PerSecond > 0;

    /// <summary>The bucket's size.</summary>
    internal int BucketSize => Burst > 0 ? Burst : PerSecond;
}
