using Switchboard.Configuration;

namespace Switchboard.Connections;

/// <summary>
/// How many sockets this node may hold, so that it never reaches the process's open-file limit nor the memory the GC
/// may use: a .NET process that runs out of descriptors aborts ("Out of memory.", SIGABRT), and one that runs out of
/// heap aborts too, instead of refusing one more connection.
/// </summary>
/// <remarks>
/// The descriptors are split as follows (<c>N</c> is the open-file limit, see docs/security.md):
/// <list type="bullet">
/// <item><see cref="ReservedFiles"/> for what the process opens whatever its load: the runtime maps each loaded
/// assembly through two descriptors (about 220 in all measured at idle), standard streams, epoll, pipes, the
/// listening sockets, the registry's four files, Redis's sockets, log files.</item>
/// <item><see cref="LimitsOptions.MaxIntegrationConnectionsPerBackend"/> for each distinct HTTP integration backend.</item>
/// <item><see cref="OtherSockets"/> for sockets that are not WebSockets (management calls, the web page, handshakes
/// being answered, a 503 included), each with two more files for a registry reader connection.</item>
/// <item>The rest, <see cref="MaxConnections"/>, for WebSocket connections.</item>
/// </list>
/// <para>
/// Memory is split likewise: of what the GC may use (<see cref="MemoryLimit.AvailableBytes"/>), <see cref="ReservedHeapBytes"/>
/// for the process and the outbound budget (<see cref="OutboundBudget"/>) are set aside, and each connection is given
/// <see cref="HeapBytesPerConnection"/> of the rest. The lower of the two caps applies.
/// </para>
/// </remarks>
internal sealed class ConnectionBudget
{
    /// <summary>Descriptors kept for the process itself, about 1.7 times what it holds at idle.</summary>
    public const int ReservedFiles = 384;

    /// <summary>
    /// Heap kept for the process whatever its connections: its managed heap at idle after startup (about 12 MB
    /// measured), handshakes and integration calls in flight, Kestrel's buffer pool, with room to spare.
    /// </summary>
    public const long ReservedHeapBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Heap one connection is given: about twice what an idle connection was measured to hold (docs/reliability.md,
    /// "Memory limits"), so that connections that also receive and send messages still fit.
    /// </summary>
    public const long HeapBytesPerConnection = 16 * 1024;

    /// <summary>The least room kept for sockets that are not WebSockets.</summary>
    private const int MinOtherSockets = 32;

    /// <summary>Descriptors each of those may hold besides its socket (a pooled SQLite reader: database and WAL).</summary>
    private const int FilesPerOtherSocket = 2;

    // Sockets the direct-upgrade middleware holds (see TryOpenSocket).
    private int _openSockets;

    private ConnectionBudget(int maxConnections, int otherSockets, long? openFileLimit, int integrationFiles, bool derived, long? availableMemoryBytes = null)
    {
        AvailableMemoryBytes = availableMemoryBytes;
        MaxConnections = maxConnections;
        OtherSockets = otherSockets;
        OpenFileLimit = openFileLimit;
        IntegrationFiles = integrationFiles;
        Derived = derived;
    }

    /// <summary>WebSocket connections this node holds at most; further handshakes are refused with 503. <see cref="int.MaxValue"/> for no limit.</summary>
    public int MaxConnections { get; }

    /// <summary>Sockets beside the WebSockets that Kestrel accepts at once.</summary>
    public int OtherSockets { get; }

    /// <summary>The open-file limit the budget was derived from; null where there is none.</summary>
    public long? OpenFileLimit { get; }

    /// <summary>The memory the GC may use, when <see cref="MaxConnections"/> was derived from it (it was lower than the open-file cap); else null.</summary>
    public long? AvailableMemoryBytes { get; }

    /// <summary>Descriptors kept for HTTP integrations.</summary>
    public int IntegrationFiles { get; }

    /// <summary>True when <see cref="MaxConnections"/> was derived from the open-file limit or memory rather than configured.</summary>
    public bool Derived { get; }

    /// <summary>True when there is a limit at all (a configured one, or an open-file limit to derive one from).</summary>
    public bool IsLimited => MaxConnections != int.MaxValue;

    /// <summary>Every socket the node may hold at once: the WebSockets and the others.</summary>
    public int MaxSockets => IsLimited ? MaxConnections + OtherSockets : int.MaxValue;

    /// <summary>
    /// Descriptors the budget needs beyond <see cref="OpenFileLimit"/>, when a configured <see cref="MaxConnections"/>
    /// leaves too little room (the node may then abort at the limit); zero when it fits.
    /// </summary>
    public long Overcommitted => OpenFileLimit is { } limit && IsLimited
        ? Math.Max(0, ReservedFiles + IntegrationFiles + MaxConnections + ((long)OtherSockets * (1 + FilesPerOtherSocket)) - limit)
        : 0;

    /// <summary>
    /// Counts a socket that the direct-upgrade middleware accepted against <see cref="MaxSockets"/>; false (nothing
    /// counted) when the node already holds that many. Each true is followed by one <see cref="CloseSocket"/>.
    /// </summary>
    /// <remarks>
    /// The middleware wraps every connection of its endpoints anyway, so counting there costs nothing per connection;
    /// Kestrel's own <c>MaxConcurrentConnections</c> would add a connection middleware of its own, whose state every
    /// connection would hold for its lifetime.
    /// </remarks>
    public bool TryOpenSocket()
    {
        if (!IsLimited)
        {
            return true;
        }

        if (Interlocked.Increment(ref _openSockets) <= MaxSockets)
        {
            return true;
        }

        Interlocked.Decrement(ref _openSockets);
        return false;
    }

    /// <summary>Releases what <see cref="TryOpenSocket"/> counted.</summary>
    public void CloseSocket()
    {
        if (IsLimited)
        {
            Interlocked.Decrement(ref _openSockets);
        }
    }

    /// <summary>
    /// The budget for <paramref name="options"/> under an open-file limit of <paramref name="openFileLimit"/> (null:
    /// none) with <paramref name="availableMemoryBytes"/> for the GC.
    /// </summary>
    public static ConnectionBudget For(SwitchboardOptions options, long? openFileLimit, long availableMemoryBytes)
    {
        var limits = options.Limits;
        var integrationFiles = (int)Math.Min(int.MaxValue, (long)limits.MaxIntegrationConnectionsPerBackend * HttpBackendCount(options));
        if (limits.MaxConnections > 0)
        {
            return new ConnectionBudget(limits.MaxConnections, OtherSocketsFor(limits.MaxConnections), openFileLimit, integrationFiles, derived: false);
        }

        var memoryCap = MemoryCap(limits, availableMemoryBytes);
        if (openFileLimit is not { } limit)
        {
            return new ConnectionBudget(memoryCap, OtherSocketsFor(memoryCap), null, integrationFiles, derived: true, availableMemoryBytes);
        }

        // Each WebSocket costs one descriptor and each other socket three, and there are max(32, M/32) of those:
        // the largest M with M + 3 * max(32, M/32) <= rest.
        var rest = limit - ReservedFiles - integrationFiles;
        var fileCap = Math.Min(rest - (MinOtherSockets * (1 + FilesPerOtherSocket)), rest * 32 / 35);
        fileCap = Math.Clamp(fileCap, 0, int.MaxValue - 1);
        return memoryCap < fileCap
            ? new ConnectionBudget(memoryCap, OtherSocketsFor(memoryCap), limit, integrationFiles, derived: true, availableMemoryBytes)
            : new ConnectionBudget((int)fileCap, OtherSocketsFor((int)fileCap), limit, integrationFiles, derived: true);
    }

    /// <summary>The connections that fit in <paramref name="availableMemoryBytes"/> after the process's share and the outbound budget.</summary>
    internal static int MemoryCap(LimitsOptions limits, long availableMemoryBytes)
    {
        var rest = availableMemoryBytes - ReservedHeapBytes - OutboundBudget.BytesFor(limits, availableMemoryBytes);
        return (int)Math.Clamp(rest / HeapBytesPerConnection, 0, int.MaxValue - 1);
    }

    /// <summary>Distinct HTTP integration servers (scheme, host, port): the HTTP client pools connections per server.</summary>
    internal static int HttpBackendCount(SwitchboardOptions options) =>
        options.Routes
            .Where(route => Integrations.IntegrationKindName.Normalize(route.Integration.Type) is Integrations.IntegrationKinds.Http or Integrations.IntegrationKinds.HttpProxy)
            .Select(route => Uri.TryCreate(route.Integration.Uri, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}:{uri.Port}" : "")
            .Where(server => server.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Count();

    private static int OtherSocketsFor(int maxConnections) => Math.Max(MinOtherSockets, maxConnections / 32);
}
