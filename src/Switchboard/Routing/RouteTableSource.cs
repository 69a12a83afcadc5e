using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;

namespace Switchboard.Routing;

/// <summary>
/// The route table in use. Readers take the table once per unit of work (a message, a handshake, a close) with
/// <see cref="Acquire"/> and keep that table to its end, so a reload never changes the route under a message in
/// flight, nor the authorizer and <c>$connect</c> of one handshake; the next unit of work sees the new table.
/// Replaced whole by a configuration reload; never null.
/// </summary>
internal sealed class RouteTableSource(RouteTable initial, ILogger<RouteTableSource>? logger = null)
{
    private volatile RouteTable _current = initial;

    /// <summary>The table of this moment, for a look that calls no integration (a count, a log line).</summary>
    public RouteTable Current => _current;

    /// <summary>
    /// The current table, held until the lease is disposed: a replaced table's integrations are disposed only once
    /// every lease on it has ended. One volatile read, and one interlocked increment when the table has integrations
    /// to dispose (<see cref="RouteTable.HoldsResources"/>; none of the built-in kinds has).
    /// </summary>
    public Lease Acquire()
    {
        while (true)
        {
            var table = _current;
            if (!table.HoldsResources)
            {
                return new Lease(null, table);
            }

            if (table.TryAddUse())
            {
                return new Lease(this, table);
            }

            // Replaced and unused between the read and the increment: the next read sees its successor.
        }
    }

    /// <summary>
    /// Makes <paramref name="table"/> the table for every later <see cref="Acquire"/>. The old one stays usable for the
    /// units of work that hold it; when the last of them ends, its integrations that implement
    /// <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/> are disposed. The built-in kinds hold nothing to
    /// dispose (their HTTP clients come from the shared client factory, which owns the handlers).
    /// </summary>
    public void Replace(RouteTable table)
    {
        var old = Interlocked.Exchange(ref _current, table);
        if (old != table)
        {
            EndUse(old);
        }
    }

    private void EndUse(RouteTable table)
    {
        if (table.EndUse() && table.HoldsResources)
        {
            _ = DisposeIntegrationsAsync(table);
        }
    }

    /// <summary>Disposes a retired table's integrations; one that fails is logged and does not stop the others.</summary>
    private async Task DisposeIntegrationsAsync(RouteTable table)
    {
        foreach (var integration in table.Integrations)
        {
            try
            {
                switch (integration)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
#pragma warning disable CA1031 // Nothing awaits the disposal: a failure is logged, and the gateway goes on.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (logger is not null)
                {
                    Log.RetiredIntegrationDisposeFailed(logger, integration.GetType().Name, exception);
                }
            }
        }
    }

    /// <summary>A unit of work's hold on one table; dispose it when the work ends (a default lease holds nothing).</summary>
    internal readonly struct Lease(RouteTableSource? source, RouteTable table) : IDisposable
    {
        public RouteTable Table => table;

        public void Dispose() => source?.EndUse(table);
    }
}
