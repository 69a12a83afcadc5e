namespace Switchboard.LoadTest;

/// <summary>How the connections end in one phase of <see cref="MassEvents"/>.</summary>
internal enum MassPhase
{
    /// <summary>Every client sends a close frame (1000) at once.</summary>
    Close,

    /// <summary>Every client's TCP connection is reset at once (no close frame, no FIN).</summary>
    Reset,

    /// <summary>The gateway gets SIGTERM with every client open.</summary>
    Shutdown,
}
