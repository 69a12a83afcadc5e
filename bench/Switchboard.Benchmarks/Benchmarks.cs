using BenchmarkDotNet.Attributes;

namespace Switchboard.Benchmarks;

/// <summary>Route selection: <c>RouteSelectionExpression.Evaluate</c> on a ~100-byte message.</summary>
[MemoryDiagnoser]
public class RouteSelectionBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark(Baseline = true, Description = "$request.body.action")]
    public string? EvaluateAction() => _operations.EvaluateAction();

    [Benchmark(Description = "$request.body.meta.kind")]
    public string? EvaluateNested() => _operations.EvaluateNested();

    [Benchmark(Description = "${service}/${action}")]
    public string? EvaluateComposite() => _operations.EvaluateComposite();
}

/// <summary>Lambda-proxy event JSON: <c>ProxyEventWriter</c>.</summary>
[MemoryDiagnoser]
public class ProxyEventWriterBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark(Baseline = true, Description = "MESSAGE into a reused writer")]
    public int WriteMessageEvent() => _operations.WriteMessageEvent();

    [Benchmark(Description = "CONNECT (8 headers) into a reused writer")]
    public int WriteConnectEvent() => _operations.WriteConnectEvent();

    [Benchmark(Description = "MESSAGE via ToUtf8Bytes")]
    public byte[] MessageEventToBytes() => _operations.MessageEventToBytes();
}

/// <summary>Server frame encoding: <c>WebSocketFrameEncoder</c>.</summary>
[MemoryDiagnoser]
public class FrameEncoderBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark(Baseline = true, Description = "Encode 100-byte text frame")]
    public byte[] EncodeTextFrame() => _operations.EncodeTextFrame();

    [Benchmark(Description = "WriteHeader")]
    public int WriteHeader() => _operations.WriteHeader();
}

/// <summary>Client frame parsing: <c>WebSocketFrameReader</c> over a <c>Pipe</c>.</summary>
[MemoryDiagnoser]
public class FrameReaderBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark(Baseline = true, Description = "one masked 100-byte frame")]
    public int ReadTextFrame() => _operations.ReadTextFrame();

    [Benchmark(Description = "100 bytes in 3 fragments")]
    public int ReadFragmentedMessage() => _operations.ReadFragmentedMessage();
}

/// <summary>
/// Local fan-out: one <c>OutboundMessage</c> queued to 1000 <c>GatewayConnection</c>s whose streams complete at
/// once, until every pump has written it (so the pumps' thread-pool work and allocations are in the figure).
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark(Description = "queue to 1000 connections and drain", OperationsPerInvoke = 1)]
    public int QueueToAll()
    {
        var queued = _operations.QueueToAll();
        _operations.WaitForDrain();
        return queued;
    }
}
