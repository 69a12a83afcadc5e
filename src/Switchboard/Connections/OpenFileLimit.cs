using System.Runtime.InteropServices;

namespace Switchboard.Connections;

/// <summary>The process's open-file limit (<c>RLIMIT_NOFILE</c>) on Linux and macOS; Windows has none that sockets count against.</summary>
internal static partial class OpenFileLimit
{
    /// <summary>
    /// The soft limit, or null when there is none to respect (Windows, <c>RLIM_INFINITY</c>, or getrlimit failed).
    /// The .NET runtime raises the soft limit to the hard limit when the process starts, so this is the hard limit
    /// that <c>ulimit -n</c> (or systemd's <c>LimitNOFILE</c>) set.
    /// </summary>
    public static long? Current()
    {
        int resource;
        if (OperatingSystem.IsLinux())
        {
            resource = 7;
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            resource = 8;
        }
        else
        {
            return null;
        }

        if (GetRLimit(resource, out var limit) != 0 || limit.Current >= long.MaxValue)
        {
            return null;
        }

        return (long)limit.Current;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetRLimit(int resource, out RLimit limit);
}
