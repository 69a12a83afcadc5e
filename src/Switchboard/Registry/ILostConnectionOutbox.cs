namespace Switchboard.Registry;

/// <summary>
/// The <c>$disconnect</c> events owed for connections whose node was lost, kept durably in a registry's store. A
/// registry that purges a lost node's entries (<see cref="IConnectionRegistry"/>: "no ghosts") puts each purged entry
/// here in the same write, so a purge without its <c>$disconnect</c> cannot happen.
/// </summary>
/// <remarks>
/// Contract:
/// <list type="bullet">
/// <item>At least once: an entry stays in the store from the purge until <see cref="CompleteAsync"/>. An entry taken by
/// a node that is lost before completing it is taken again (by a surviving node, or by the next start of a
/// single-node registry), so a <c>$disconnect</c> may be sent twice, never zero times while the store lasts.</item>
/// <item>One taker at a time: <see cref="TakeAsync"/> hands an entry to one node only; it is not handed out again
/// while that node lives.</item>
/// <item>All members are thread-safe. Failures of the store surface as <see cref="RegistryUnavailableException"/>.</item>
/// </list>
/// </remarks>
public interface ILostConnectionOutbox
{
    /// <summary>Takes up to <paramref name="limit"/> owed entries for this node to send, oldest first; empty when none is owed.</summary>
    ValueTask<IReadOnlyList<LostConnection>> TakeAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Forgets an entry taken by <see cref="TakeAsync"/>: its <c>$disconnect</c> was delivered, or is given up.</summary>
    ValueTask CompleteAsync(LostConnection lost, CancellationToken cancellationToken);
}
