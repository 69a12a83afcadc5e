using System.Globalization;

namespace Switchboard.LoadTest;

/// <summary>Reads a process's resident memory and CPU time from /proc (Linux).</summary>
internal static class ProcStat
{
    private const double ClockTicksPerSecond = 100; // sysconf(_SC_CLK_TCK) on Linux x64

    /// <summary>VmRSS in bytes.</summary>
    public static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>User plus system CPU time of every thread of the process (utime + stime).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / ClockTicksPerSecond);
    }

    /// <summary>The process's open file descriptors (the entries of /proc/PID/fd).</summary>
    public static int OpenFileDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public static int FileDescriptorLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return int.Parse(parts[3], CultureInfo.InvariantCulture);
            }
        }

        return 1024;
    }
}

/// <summary>CPU time of the server and of this process over an interval.</summary>
internal sealed class CpuMeter
{
    private readonly int _serverPid;
    private readonly TimeSpan _server;
    private readonly TimeSpan _client;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

    public CpuMeter(int serverPid)
    {
        _serverPid = serverPid;
        _server = ProcStat.CpuTime(serverPid);
        _client = ProcStat.CpuTime(Environment.ProcessId);
    }

    public (TimeSpan Server, TimeSpan Client, TimeSpan Wall) Elapsed() => (
        ProcStat.CpuTime(_serverPid) - _server,
        ProcStat.CpuTime(Environment.ProcessId) - _client,
        System.Diagnostics.Stopwatch.GetElapsedTime(_started));
}
