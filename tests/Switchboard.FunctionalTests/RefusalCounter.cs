using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Diagnostics;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Reads one gateway's <c>switchboard.requests.refused</c> counter by its <c>setting</c> tag; other gateways running
/// in parallel tests have meters of their own factory and are not counted.
/// </summary>
internal sealed class RefusalCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public RefusalCounter(TestGateway gateway)
    {
        var factory = gateway.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SwitchboardMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "switchboard.requests.refused")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "setting")
                {
                    _counts.AddOrUpdate((string)tag.Value!, value, (_, total) => total + value);
                }
            }
        });
        _listener.Start();
    }

    public long this[string setting] => _counts.GetValueOrDefault(setting);

    public void Dispose() => _listener.Dispose();
}
