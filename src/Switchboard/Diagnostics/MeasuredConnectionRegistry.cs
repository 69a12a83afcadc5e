using System.Diagnostics;
using Switchboard.Registry;

namespace Switchboard.Diagnostics;

/// <summary>
/// The registry the gateway calls: the configured one, with each call's time and outcome recorded as
/// <c>switchboard.registry.duration</c>. A call that throws <see cref="RegistryUnavailableException"/> counts as
/// <c>error</c>; other exceptions are bugs and pass unrecorded. Adds no behaviour of its own.
/// </summary>
internal sealed class MeasuredConnectionRegistry(IConnectionRegistry inner, SwitchboardMetrics metrics) : IConnectionRegistry
{
    public async ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.AddAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            metrics.RegistryCompleted("add", SwitchboardMetrics.Error, started);
            throw;
        }

        metrics.RegistryCompleted("add", SwitchboardMetrics.Ok, started);
    }

    public async ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.RemoveAsync(connectionId, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            metrics.RegistryCompleted("remove", SwitchboardMetrics.Error, started);
            throw;
        }

        metrics.RegistryCompleted("remove", SwitchboardMetrics.Ok, started);
    }

    public async ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.RecordActivityAsync(activity, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            metrics.RegistryCompleted("record_activity", SwitchboardMetrics.Error, started);
            throw;
        }

        metrics.RegistryCompleted("record_activity", SwitchboardMetrics.Ok, started);
    }

    public async ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var record = await inner.GetAsync(connectionId, cancellationToken).ConfigureAwait(false);
            metrics.RegistryCompleted("get", SwitchboardMetrics.Ok, started);
            return record;
        }
        catch (RegistryUnavailableException)
        {
            metrics.RegistryCompleted("get", SwitchboardMetrics.Error, started);
            throw;
        }
    }

    public async ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var page = await inner.ListAsync(limit, nextToken, cancellationToken).ConfigureAwait(false);
            metrics.RegistryCompleted("list", SwitchboardMetrics.Ok, started);
            return page;
        }
        catch (RegistryUnavailableException)
        {
            metrics.RegistryCompleted("list", SwitchboardMetrics.Error, started);
            throw;
        }
    }
}
