using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

// Loaded into each server the harness starts (DOTNET_STARTUP_HOOKS), inert unless SWITCHBOARD_LOADTEST_HOOK=1.
// Commands, one per line on standard input, answered on standard output:
//   gc       an aggressive, compacting full GC, so idle-memory figures are read after the same settle in every server;
//            answers the managed heap's size after it, then "gc done"
//   allocs   (with SWITCHBOARD_LOADTEST_ALLOCATIONS=1) the types sampled by the runtime's allocation ticks (one event
//            per ~100 KB allocated) since the last "allocs", largest first — an allocation profile per scenario.
#pragma warning disable CA1050 // The runtime looks the hook up as a type named StartupHook in the global namespace.
public static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_LOADTEST_HOOK") != "1")
        {
            return;
        }

        var allocations = Environment.GetEnvironmentVariable("SWITCHBOARD_LOADTEST_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
        var thread = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                switch (line.Trim())
                {
                    case "gc":
                        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                        GC.WaitForPendingFinalizers();
                        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                        Console.Out.WriteLine($"[loadtest-hook] heap {GC.GetTotalMemory(forceFullCollection: false)}");
                        Console.Out.WriteLine("[loadtest-hook] gc done");
                        break;
                    case "allocs":
                        foreach (var (type, bytes) in allocations?.TakeTop(15) ?? [])
                        {
                            Console.Out.WriteLine($"[loadtest-hook] alloc {bytes / 1048576.0,9:F1} MB  {type}");
                        }

                        Console.Out.WriteLine("[loadtest-hook] allocs done");
                        break;
                }

                Console.Out.Flush();
            }
        })
        {
            IsBackground = true,
            Name = "loadtest-hook",
        };
        thread.Start();
    }

    /// <summary>Sums the runtime's allocation-tick samples by type.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

        public List<(string Type, long Bytes)> TakeTop(int count)
        {
            var taken = Interlocked.Exchange(ref _bytes, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
            return [.. taken.OrderByDescending(pair => pair.Value).Take(count).Select(pair => (pair.Key, pair.Value))];
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick at Verbose
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
            {
                return;
            }

            var type = eventData.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload![t] as string ?? "?" : "?";
            var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload![a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
            _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }
}
