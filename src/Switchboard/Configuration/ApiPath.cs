namespace Switchboard.Configuration;

/// <summary>The path the WebSocket endpoint and the management API are mounted at, from <see cref="SwitchboardOptions.BasePath"/>.</summary>
internal static class ApiPath
{
    /// <summary>
    /// The mount point's segment without slashes: the stage name, the base path, or "" for the root. The WebSocket
    /// endpoint is <c>/{segment}</c> and the management API <c>/{segment}/@connections</c> (<c>/@connections</c> at the root).
    /// </summary>
    public static string Segment(SwitchboardOptions options) => options.BasePath ?? options.Stage;

    /// <summary>The WebSocket endpoint's path: <c>/production</c>, <c>/chat</c> or <c>/</c>.</summary>
    public static string WebSocket(SwitchboardOptions options) => "/" + Segment(options);

    /// <summary>What management paths start with: <c>/production</c>, <c>/chat</c>, or "" at the root.</summary>
    public static string ManagementPrefix(SwitchboardOptions options) => Segment(options) is { Length: > 0 } segment ? "/" + segment : "";

    /// <summary>True for a name that can be a stage or a base path: one URL path segment of letters, digits, '-' and '_'.</summary>
    public static bool IsSegment(string value) => value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
