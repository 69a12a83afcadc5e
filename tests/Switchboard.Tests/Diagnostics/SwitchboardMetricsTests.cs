using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Diagnostics;

namespace Switchboard.Tests.Diagnostics;

public sealed class SwitchboardMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SwitchboardMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, string Tags)> _recorded = [];
    private bool _capture = true;

    public SwitchboardMetricsTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new SwitchboardMetrics(factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Capture(instrument, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Capture(instrument, tags));
        _listener.Start();
    }

    [Theory]
    [InlineData(1000, "1000")]
    [InlineData(1006, "1006")]
    [InlineData(1015, "1015")]
    [InlineData(3001, "3xxx")]
    [InlineData(4999, "4xxx")]
    [InlineData(999, "other")]
    [InlineData(2000, "other")]
    [InlineData(5000, "other")]
    public void CloseCodeTag_KeepsRegisteredCodes_AndGroupsApplicationCodes(int code, string tag) =>
        Assert.Equal(tag, SwitchboardMetrics.CloseCodeTag(code));

    [Fact]
    public void Instruments_CarryOnlyTheirLowCardinalityTags()
    {
        _metrics.ConnectionClosed(4321);
        _metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.Capacity);
        _metrics.MessageRouted("echo");
        _metrics.IntegrationCompleted("echo", "http", "TimedOut", TimeSpan.FromMilliseconds(1500));
        _metrics.ManagementCompleted("PostToConnection", 410, Stopwatch.GetTimestamp());
        _metrics.RegistryCompleted("add", SwitchboardMetrics.Error, Stopwatch.GetTimestamp());

        Assert.Equal(
            [
                ("switchboard.connections.closed", "close_code=4xxx"),
                ("switchboard.connections.refused", "reason=capacity"),
                ("switchboard.messages.in", "route=echo"),
                ("switchboard.integration.duration", "route=echo,kind=http,outcome=TimedOut"),
                ("switchboard.management.duration", "operation=PostToConnection,http.response.status_code=410"),
                ("switchboard.registry.duration", "operation=add,outcome=error"),
            ],
            _recorded);
    }

    /// <summary>What runs per message and per connection allocates nothing, even with a listener attached.</summary>
    [Fact]
    public void Recording_WithAListener_AllocatesNothing()
    {
        _capture = false;
        RecordPerMessageAndConnection();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            RecordPerMessageAndConnection();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    private void RecordPerMessageAndConnection()
    {
        _metrics.MessageReceived();
        _metrics.MessageRouted("echo");
        _metrics.MessageOut();
        _metrics.IntegrationCompleted("echo", "inprocess", "Succeeded", TimeSpan.FromTicks(10));
        _metrics.ConnectionOpened();
        _metrics.ConnectionClosed(1000);
        _metrics.ManagementCompleted("PostToConnection", 200, Stopwatch.GetTimestamp());
    }

    private void Capture(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_capture)
        {
            return;
        }

        var text = new List<string>();
        foreach (var tag in tags)
        {
            text.Add($"{tag.Key}={tag.Value}");
        }

        _recorded.Add((instrument.Name, string.Join(",", text)));
    }
}
