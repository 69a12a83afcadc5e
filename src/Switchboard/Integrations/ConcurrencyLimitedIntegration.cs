using Switchboard.Configuration;
using Switchboard.Events;

namespace Switchboard.Integrations;

/// <summary>
/// At most <c>MaxConcurrency</c> calls of one route's integration run at once; up to <c>MaxQueue</c> more wait, in
/// turn, for a free slot; a call beyond that fails at once (the client sees the usual integration failure: 502 on
/// <c>$connect</c>, <c>Internal server error</c> on a message; the gateway logs one warning a minute for refusals).
/// The wait is part of the call, so it counts within the route's timeout. For backends that serve one invocation at
/// a time (the Lambda runtime interface emulator, <c>sam local start-lambda</c>) and for keeping a slow backend from
/// piling up calls. Nothing is retried.
/// </summary>
/// <remarks>
/// A <c>$disconnect</c> call is never refused: it waits for a slot however many wait already, because it is the only
/// word a handler gets that a connection is gone (thousands of clients closing at once would otherwise lose all but
/// <c>MaxConcurrency</c> of them). Its queue stays bounded all the same: a connection has one <c>$disconnect</c>, so at
/// most as many wait as the node held connections, plus the lost-connection sender's few. Nor does its wait count within
/// the route's timeout: <c>RouteInvoker</c> takes the slot first (<see cref="EnterAsync"/>) and times the call from there.
/// <para>
/// Unconfigured, a route allows <see cref="DefaultMaxConcurrency"/> calls in progress and queues none: without a
/// bound, a backend that stops answering collects every message sent meanwhile until its timeout — up to
/// <c>MaxConnections × MaxInFlightMessagesPerConnection</c> (285,000 with the defaults) waiting calls, each holding its
/// event, instead of failing them at once. The calls in progress include those waiting for one of the
/// <c>Limits:MaxIntegrationConnectionsPerBackend</c> pooled connections.
/// </para>
/// </remarks>
internal sealed class ConcurrencyLimitedIntegration : IRouteIntegration
{
    /// <summary>The queue's length when <c>MaxConcurrency</c> is set and <c>MaxQueue</c> is not.</summary>
    public const int DefaultMaxQueue = 100;

    /// <summary>
    /// Calls in progress when <c>MaxConcurrency</c> is not set (with no queue): Lambda's default account concurrency,
    /// beyond which AWS throttles invocations (429, a failed call to API Gateway too).
    /// </summary>
    public const int DefaultMaxConcurrency = 1000;

    private const int MaxConcurrencyLimit = 10_000;
    private const int MaxQueueLimit = 100_000;

    private readonly IRouteIntegration _inner;
    private readonly int _maxConcurrency;
    private readonly int _maxQueue;
    private readonly string _source;
    private readonly Lock _lock = new();

    /// <summary>Calls waiting for a slot, first come first served; a finishing call hands its slot to the first.</summary>
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private int _running;

    private ConcurrencyLimitedIntegration(IRouteIntegration inner, int maxConcurrency, int maxQueue, string source)
    {
        _inner = inner;
        _maxConcurrency = maxConcurrency;
        _maxQueue = maxQueue;
        _source = source;
    }

    /// <summary><paramref name="inner"/> behind the limit the settings ask for, or the default limit when they set none.</summary>
    public static IRouteIntegration Apply(IRouteIntegration inner, IntegrationOptions integration, string source) =>
        integration.MaxConcurrency is { } maxConcurrency
            ? new ConcurrencyLimitedIntegration(inner, maxConcurrency, integration.MaxQueue ?? DefaultMaxQueue, source)
            : new ConcurrencyLimitedIntegration(inner, DefaultMaxConcurrency, 0, source);

    /// <summary>What is wrong with <c>MaxConcurrency</c> and <c>MaxQueue</c>.</summary>
    public static IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration)
    {
        if (integration.MaxConcurrency is { } maxConcurrency and (< 1 or > MaxConcurrencyLimit))
        {
            yield return new(nameof(integration.MaxConcurrency), $"{maxConcurrency} is outside 1 to {MaxConcurrencyLimit}");
        }

        if (integration.MaxQueue is { } maxQueue)
        {
            if (maxQueue is < 0 or > MaxQueueLimit)
            {
                yield return new(nameof(integration.MaxQueue), $"{maxQueue} is outside 0 to {MaxQueueLimit}");
            }
            else if (integration.MaxConcurrency is null)
            {
                yield return new(nameof(integration.MaxQueue), "has no effect without MaxConcurrency (the number of calls that run at once)");
            }
        }
    }

    /// <summary>The integration behind the limit, for a caller that holds a slot (<see cref="EnterAsync"/>).</summary>
    public IRouteIntegration Inner => _inner;

    public async ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        if (await EnterAsync(routeEvent, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        try
        {
            return await _inner.InvokeAsync(routeEvent, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Takes a slot for <paramref name="routeEvent"/>'s call, waiting in the queue when all are taken: null once it has
    /// one (the caller then calls <see cref="Inner"/> and <see cref="Release"/>s the slot after), else the failed
    /// result (refused; cancelled while waiting). A <c>$disconnect</c> is never refused.
    /// </summary>
    public async ValueTask<IntegrationResult?> EnterAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource>? turn = null;
        lock (_lock)
        {
            if (_running < _maxConcurrency)
            {
                _running++;
            }
            else if (_waiting.Count >= _maxQueue && routeEvent.EventType != RouteEventType.Disconnect)
            {
                return IntegrationResult.Refusal($"{_source}: {_maxConcurrency} call(s) running and {_maxQueue} waiting (MaxConcurrency, MaxQueue); call refused");
            }
            else
            {
                turn = _waiting.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }

        if (turn is not null && !await WaitForTurnAsync(turn, cancellationToken).ConfigureAwait(false))
        {
            return IntegrationResult.Failure($"{_source}: cancelled while waiting for a free slot (MaxConcurrency {_maxConcurrency})");
        }

        return null;
    }

    /// <summary>True once a finishing call handed its slot over; false when cancelled first (the place in the queue is given up).</summary>
    private async Task<bool> WaitForTurnAsync(LinkedListNode<TaskCompletionSource> turn, CancellationToken cancellationToken)
    {
        try
        {
            await turn.Value.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            bool handedOver;
            lock (_lock)
            {
                handedOver = turn.List is null;
                if (!handedOver)
                {
                    _waiting.Remove(turn);
                }
            }

            if (handedOver)
            {
                // The slot arrived as the wait was cancelled: pass it on.
                Release();
            }

            return false;
        }
    }

    /// <summary>Hands the finishing call's slot to the first waiting call, or frees it.</summary>
    public void Release()
    {
        TaskCompletionSource? next = null;
        lock (_lock)
        {
            if (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                next = first.Value;
            }
            else
            {
                _running--;
            }
        }

        next?.TrySetResult();
    }
}
