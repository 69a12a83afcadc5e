namespace Switchboard.Management;

/// <summary>
/// One page of the connection listing (<c>GET /{stage}/@connections</c>, a Switchboard extension):
/// <c>{"items":[…],"nextToken":"…"}</c>, ordered by id.
/// </summary>
/// <param name="Items">The connections of this page.</param>
/// <param name="NextToken">What to pass as <c>nextToken</c> for the next page; written as <c>null</c> on the last one.</param>
public sealed record ListConnectionsResponse(IReadOnlyList<ListedConnection> Items, string? NextToken);
