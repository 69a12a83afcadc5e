using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process by default: no generated project to build (the repository's build settings would apply to it), and
// far less load on a shared machine. Any BenchmarkDotNet option works: --filter '*FrameReader*', --job short, …
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(RouteSelectionBenchmarksMarker).Assembly).Run(args, config);

/// <summary>Names this assembly for BenchmarkSwitcher.</summary>
internal static class RouteSelectionBenchmarksMarker;
