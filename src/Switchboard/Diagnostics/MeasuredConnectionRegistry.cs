using System.Diagnostics;
using Switchboard.Registry;

namespace Switchboard.Diagnostics;

/// <summary>
/// The registry the gateway calls: the configured one, with each call's time and outcome recorded as
/// <c>switchboard.registry.duration</c> (<see cref="MeasuredCall"/>). Adds no behaviour of its own.
/// </summary>
internal sealed class MeasuredConnectionRegistry(IConnectionRegistry inner, SwitchboardMetrics metrics) : IConnectionRegistry
{
    private readonly MeasuredCall.Recorder _record = metrics.RegistryCompleted;

    public ValueTask AddAsync(ConnectionRecord record, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.AddAsync(record, cancellationToken), "add", _record);

    public ValueTask RemoveAsync(string connectionId, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.RemoveAsync(connectionId, cancellationToken), "remove", _record);

    public ValueTask RecordActivityAsync(IReadOnlyList<ConnectionActivity> activity, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.RecordActivityAsync(activity, cancellationToken), "record_activity", _record);

    public ValueTask<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.GetAsync(connectionId, cancellationToken), "get", _record);

    public ValueTask<ConnectionPage> ListAsync(int limit, string? nextToken, CancellationToken cancellationToken) =>
        MeasuredCall.Await(Stopwatch.GetTimestamp(), inner.ListAsync(limit, nextToken, cancellationToken), "list", _record);
}
