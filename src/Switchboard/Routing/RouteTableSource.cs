namespace Switchboard.Routing;

/// <summary>
/// The route table in use. Readers take <see cref="Current"/> once per unit of work (a message, a handshake, a close)
/// and keep that table to its end, so a reload never changes the route under a message in flight; the next read sees
/// the new table. Replaced whole by a configuration reload; never null.
/// </summary>
internal sealed class RouteTableSource(RouteTable initial)
{
    private volatile RouteTable _current = initial;

    public RouteTable Current => _current;

    /// <summary>
    /// Makes <paramref name="table"/> the table for every later read. The old table is not disposed: integrations hold
    /// no resources of their own (HTTP calls go through the shared client factory), and messages in flight keep using it.
    /// </summary>
    public void Replace(RouteTable table) => _current = table;
}
