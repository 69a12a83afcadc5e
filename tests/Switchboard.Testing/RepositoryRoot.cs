namespace Switchboard.Testing;

/// <summary>The checkout the tests were built from: for tests that read its documents or build its projects.</summary>
public static class RepositoryRoot
{
    /// <summary>The folder holding <c>Switchboard.slnx</c>, found upwards from the test assembly.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Switchboard.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Switchboard.slnx not found above " + AppContext.BaseDirectory);
    }
}
