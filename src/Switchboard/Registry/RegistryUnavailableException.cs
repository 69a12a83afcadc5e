namespace Switchboard.Registry;

/// <summary>The registry's store cannot be reached or written.</summary>
public sealed class RegistryUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException(string message)
        : base(message)
    {
    }
}
