using System.Diagnostics;
using Switchboard.Registry;

namespace Switchboard.Diagnostics;

/// <summary>
/// Awaits a registry or backplane call and hands its outcome to a recorder: <see cref="SwitchboardMetrics.Error"/> when
/// it failed with <see cref="RegistryUnavailableException"/> (rethrown), <see cref="SwitchboardMetrics.Ok"/> otherwise.
/// Other exceptions are bugs and pass unrecorded. <c>started</c> is the <see cref="Stopwatch.GetTimestamp"/> taken before
/// the call was made, so that its synchronous part is timed too.
/// </summary>
internal static class MeasuredCall
{
    /// <summary>Records one call: its operation, outcome and start timestamp.</summary>
    public delegate void Recorder(string operation, string outcome, long started);

    public static async ValueTask Await(long started, ValueTask call, string operation, Recorder record)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            record(operation, SwitchboardMetrics.Error, started);
            throw;
        }

        record(operation, SwitchboardMetrics.Ok, started);
    }

    public static async ValueTask<T> Await<T>(long started, ValueTask<T> call, string operation, Recorder record)
    {
        T result;
        try
        {
            result = await call.ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            record(operation, SwitchboardMetrics.Error, started);
            throw;
        }

        record(operation, SwitchboardMetrics.Ok, started);
        return result;
    }
}
