namespace Switchboard.LoadTest;

/// <summary>One figure of one server at one connection count.</summary>
/// <param name="Key">Stable id, e.g. <c>broadcast.deliveries_per_s</c>.</param>
/// <param name="HigherIsBetter">How a ratio reads: for throughput above 1 is better, for latency, CPU and memory below 1.</param>
internal sealed record Metric(string Key, string Label, string Unit, double Value, bool HigherIsBetter);

/// <summary>Every figure of one server process at one connection count, with notes on anything irregular.</summary>
internal sealed class ServerRun(ServerKind server, int connections)
{
    public ServerKind Server => server;

    public int Connections => connections;

    public List<Metric> Metrics { get; } = [];

    public List<string> Notes { get; } = [];

    public void Add(string key, string label, string unit, double value, bool higherIsBetter) =>
        Metrics.Add(new Metric(key, label, unit, double.IsFinite(value) ? value : 0, higherIsBetter));

    public double? Get(string key) => Metrics.FirstOrDefault(metric => metric.Key == key)?.Value;
}
