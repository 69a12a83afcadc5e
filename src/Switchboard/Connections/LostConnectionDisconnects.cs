using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Protocol;
using Switchboard.Registry;
using Switchboard.Routing;

namespace Switchboard.Connections;

/// <summary>
/// Sends the <c>$disconnect</c> owed for connections whose node was lost, from the registry's
/// <see cref="ILostConnectionOutbox"/> (a registry without one owes nothing): once the gateway has started, it takes
/// what is owed every <see cref="PollInterval"/>, sends each with <see cref="CloseCodes.AbnormalClosure"/> and
/// <see cref="Reason"/>, and retries an undelivered one with exponential backoff until
/// <see cref="LimitsOptions.LostDisconnectRetryWindow"/> after the loss. An entry leaves the outbox only when delivered or given up, so a stop (or a crash) in between leaves it to the
/// next taker: at least once, possibly twice.
/// </summary>
internal sealed class LostConnectionDisconnects(
    IServiceProvider services,
    RouteTableSource routes,
    RouteInvoker invoker,
    RouteEventFactory events,
    TimeProvider time,
    IOptions<SwitchboardOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<LostConnectionDisconnects> logger) : BackgroundService
{
    /// <summary><c>disconnectReason</c> of these events; <c>disconnectStatusCode</c> is 1006.</summary>
    public const string Reason = "Gateway node lost";

    /// <summary>How often the outbox is looked at.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    /// <summary>Entries being sent or waiting for a retry at once; the rest waits in the outbox.</summary>
    private const int MaxInFlight = 64;

    private readonly TimeSpan _retryWindow = options.Value.Limits.LostDisconnectRetryWindow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<ILostConnectionOutbox>() is not { } outbox)
        {
            return;
        }

        // After the gateway is up: the integration may be served by this very process.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var sending = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            sending.RemoveAll(task => task.IsCompleted);
            var taken = 0;
            var room = MaxInFlight - sending.Count;
            if (room > 0)
            {
                try
                {
                    var owed = await outbox.TakeAsync(room, stoppingToken).ConfigureAwait(false);
                    taken = owed.Count;
                    if (taken > 0)
                    {
                        Log.LostDisconnectsTaken(logger, taken);
                    }

                    sending.AddRange(owed.Select(lost => SendAsync(outbox, lost, stoppingToken)));
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // Whatever the store throws, the owed entries stay there: look again later rather than end the service (and the host).
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.LostDisconnectOutboxFailed(logger, exception);
                }
            }

            try
            {
                if (room == 0)
                {
                    // Full: take more as soon as one send ends, not a poll interval later (a node that lost thousands of
                    // connections would otherwise deliver at most MaxInFlight a second).
                    await Task.WhenAny(sending).WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (taken < room)
                {
                    // The outbox is drained: look again later.
                    await Task.Delay(PollInterval, time, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(sending).ConfigureAwait(false);
    }

    /// <summary>Delivers one entry, retrying with backoff; returns when delivered, given up or stopping (the entry then stays owed).</summary>
    private async Task SendAsync(ILostConnectionOutbox outbox, LostConnection lost, CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // Each attempt on the table of its moment: a retry after a reload uses the new $disconnect.
                using (var lease = routes.Acquire())
                {
                    if (lease.Table.Disconnect is not { } route || Delivered(await invoker.InvokeAsync(
                        route, events.LostDisconnect(lost, CloseCodes.AbnormalClosure, Reason, time.GetUtcNow(), lease.Table.StageVariables), stoppingToken).ConfigureAwait(false)))
                    {
                        break;
                    }
                }

                if (time.GetUtcNow() + delay > lost.LostAt + _retryWindow)
                {
                    Log.LostDisconnectGivenUp(logger, lost.ConnectionId, attempt, _retryWindow.TotalSeconds);
                    break;
                }

                Log.LostDisconnectRetrying(logger, lost.ConnectionId, attempt, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }

            await outbox.CompleteAsync(lost, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the entry stays owed, for the next taker.
        }
#pragma warning disable CA1031 // Observed here, as nothing awaits this task but the stop: the entry stays owed.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            // Delivered but still owed (or the send itself failed): the next taker sends it again (at least once).
            Log.LostDisconnectOutboxFailed(logger, exception);
        }
    }

    /// <summary>Delivered: the integration answered, and not with a server error (which a retry may get past).</summary>
    private static bool Delivered(IntegrationResult result) =>
        result.Outcome == IntegrationOutcome.Succeeded && result.Response is not { StatusCode: >= 500 };
}
