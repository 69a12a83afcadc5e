using Switchboard.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Diagnostics;
using Switchboard.Registry;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// One timer for all connections of the node (no per-connection timers): once per <see cref="SweepInterval"/>
/// it closes idle and over-age connections, sends keep-alive pings and aborts peers that stopped answering
/// them, and writes recent activity to the registry in one batch. On shutdown it closes every connection with
/// 1001 and waits, within the shutdown timeout, for their <c>$disconnect</c> to run.
/// </summary>
/// <remarks>
/// Activity is coalesced here and nowhere else: a sweep hands the registry every connection whose last activity it
/// has not written yet, in one <see cref="IConnectionRegistry.RecordActivityAsync"/> call. One batch is written at a
/// time (sweeps while it runs leave activity for the next), and a connection counts as written only once its batch
/// is, so a batch that failed is collected again by the next sweep.
/// </remarks>
internal sealed class ConnectionLifetimeMonitor(
    LocalConnections local,
    IConnectionRegistry registry,
    LimitsSource limits,
    TimeProvider time,
    NodeShutdown shutdown,
    ILogger<ConnectionLifetimeMonitor> logger) : IHostedLifecycleService, IDisposable
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    public const string IdleReason = "Idle timeout";
    public const string MaxDurationReason = "Maximum connection duration reached";
    public const string ShutdownReason = "Server shutting down";
    public const string SlowClientReason = "Client is not reading";

    private ITimer? _timer;
    private int _sweeping;
    private Task _activityWrite = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(static state => ((ConnectionLifetimeMonitor)state!).Sweep(), this, SweepInterval, SweepInterval);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs before any hosted service (Kestrel included) stops: Kestrel waits for open requests, and each
    /// WebSocket is an open request until it is closed here.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        shutdown.Begin();
        _timer?.Dispose();
        // Before the registry stops (hosted services stop after this): a write must not outlive it.
        await _activityWrite.ConfigureAwait(false);
        var open = local.All.ToList();
        if (open.Count == 0)
        {
            return;
        }

        Log.ShuttingDown(logger, open.Count);
        foreach (var connection in open)
        {
            connection.TryBeginClose(new ServerClose(CloseCodes.GoingAway, ShutdownReason, ShutdownReason));
        }

        // Each connection leaves the table once its close handshake is over; $disconnect runs right after.
        try
        {
            await local.WaitUntilEmptyAsync().WaitAsync(limits.Current.ShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
        }

        if (local.Count > 0)
        {
            Log.ShutdownTimedOut(logger, local.Count);
            foreach (var connection in local.All)
            {
                connection.Abort();
            }
        }
    }

    /// <summary>One pass over the node's connections. Internal so tests can drive it with a fake clock.</summary>
    internal void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            // The monotonic clock (ConnectionSettings.ClockMs): a step of the wall clock is not time that passed.
            var nowMs = ConnectionSettings.ClockMs(time);
            // One snapshot per sweep: a reload applies at the next sweep to every open connection (a longer idle
            // timeout keeps a connection that the old one would have closed; a shorter one closes those already over it).
            var current = limits.Current;
            var keepAliveMs = (long)current.KeepAliveInterval.TotalMilliseconds;
            var activity = _activityWrite.IsCompleted ? new ActivityBatch() : null;
            foreach (var connection in local.All)
            {
                if (connection.IsClosing)
                {
                    continue;
                }

                if (nowMs - connection.ConnectedMs >= (long)current.MaxConnectionDuration.TotalMilliseconds)
                {
                    connection.TryBeginClose(new ServerClose(CloseCodes.GoingAway, MaxDurationReason, MaxDurationReason));
                    continue;
                }

                if (nowMs - connection.LastActiveMs >= (long)current.IdleTimeout.TotalMilliseconds)
                {
                    connection.TryBeginClose(new ServerClose(CloseCodes.GoingAway, IdleReason, IdleReason));
                    continue;
                }

                if (connection.IsSlowerThan(nowMs, current.SlowClientTimeout))
                {
                    // It cannot read the close frame either: the close timeout aborts it.
                    connection.TryBeginClose(new ServerClose(CloseCodes.PolicyViolation, SlowClientReason, SlowClientReason));
                    continue;
                }

                if (keepAliveMs > 0)
                {
                    var pingSent = connection.PingSentMs;
                    if (pingSent != 0 && nowMs - pingSent >= keepAliveMs)
                    {
                        // Two intervals without a single frame from the peer: the TCP connection is dead.
                        connection.Abort();
                        continue;
                    }

                    if (pingSent == 0 && nowMs - connection.LastReceivedMs >= keepAliveMs)
                    {
                        connection.SendPing();
                    }
                }

                activity?.AddIfUnwritten(connection);
            }

            if (activity?.Count > 0)
            {
                _activityWrite = WriteActivityAsync(activity);
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private async Task WriteActivityAsync(ActivityBatch batch)
    {
        try
        {
            await registry.RecordActivityAsync(batch.Entries, CancellationToken.None).ConfigureAwait(false);
            batch.MarkWritten();
        }
        catch (RegistryUnavailableException exception)
        {
            Log.ActivityWriteFailed(logger, batch.Count, exception);
        }
    }

    /// <summary>The activity one sweep collects, with the connections it came from so they can be marked written.</summary>
    private sealed class ActivityBatch
    {
        private readonly List<GatewayConnection> _connections = [];
        private readonly List<ConnectionActivity> _entries = [];
        private readonly List<long> _activeMs = [];

        public IReadOnlyList<ConnectionActivity> Entries => _entries;

        public int Count => _entries.Count;

        public void AddIfUnwritten(GatewayConnection connection)
        {
            var lastActiveMs = connection.LastActiveMs;
            if (lastActiveMs != connection.LastFlushedActiveMs)
            {
                _connections.Add(connection);
                _activeMs.Add(lastActiveMs);
                _entries.Add(new ConnectionActivity(connection.Id, connection.WallTime(lastActiveMs)));
            }
        }

        public void MarkWritten()
        {
            for (var i = 0; i < _connections.Count; i++)
            {
                _connections[i].LastFlushedActiveMs = _activeMs[i];
            }
        }
    }
}
