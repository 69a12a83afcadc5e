namespace Switchboard.FunctionalTests;

/// <summary>Route settings for tests whose routes all go to the in-process handler registered as <c>recorder</c>.</summary>
internal static class RecorderRoutes
{
    /// <summary>Adds one route per key, in order (<c>Routes:0</c>, <c>Routes:1</c>, …), each two-way unless told otherwise.</summary>
    public static void AddTo(IDictionary<string, string?> settings, IReadOnlyList<string> routeKeys, bool twoWay = true)
    {
        for (var i = 0; i < routeKeys.Count; i++)
        {
            settings[$"Switchboard:Routes:{i}:RouteKey"] = routeKeys[i];
            settings[$"Switchboard:Routes:{i}:Integration:Type"] = "inprocess";
            settings[$"Switchboard:Routes:{i}:Integration:Handler"] = "recorder";
            if (twoWay)
            {
                settings[$"Switchboard:Routes:{i}:TwoWay"] = "true";
            }
        }
    }
}
