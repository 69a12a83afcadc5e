namespace Switchboard.Registry;

/// <summary>One page of a connection listing, ordered by connection id.</summary>
/// <param name="Items">The connections on this page.</param>
/// <param name="NextToken">Pass to the next call to continue; null on the last page.</param>
public sealed record ConnectionPage(IReadOnlyList<ConnectionRecord> Items, string? NextToken);
