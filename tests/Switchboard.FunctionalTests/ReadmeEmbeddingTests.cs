using System.Diagnostics;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The README's embedding example is a whole <c>Program.cs</c>: pasted into a project as <c>dotnet new web</c> makes
/// it (Web SDK, implicit usings, nullable) that references the library, it builds. Among other things this proves that
/// no public Switchboard type the example uses is ambiguous with a type of a namespace the Web SDK imports
/// implicitly (CS0104). The test compiles whatever the README says, so it follows changes to the example.
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class ReadmeEmbeddingTests
{
    /// <summary>The HTML comment in README.md right before the example's <c>```csharp</c> block.</summary>
    private const string Marker = "<!-- embedding-program:";

    [Fact]
    public async Task ReadmeEmbeddingProgram_BuildsInAWebProjectReferencingTheLibrary()
    {
        var program = EmbeddingProgram(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "README.md")));
        using var project = new TemporaryDirectory();
        await File.WriteAllTextAsync(Path.Combine(project.Path, "Program.cs"), program);
        await File.WriteAllTextAsync(Path.Combine(project.Path, "Embedding.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(RepositoryRoot.Path, "src", "Switchboard", "Switchboard.csproj")}" />
                <ProjectReference Include="{Path.Combine(RepositoryRoot.Path, "src", "Switchboard.Sqlite", "Switchboard.Sqlite.csproj")}" />
              </ItemGroup>
            </Project>
            """);

        var (exitCode, output) = await BuildAsync(project.Path);

        var report = $"dotnet build of the README's Program.cs exited with {exitCode}:{Environment.NewLine}{program}{Environment.NewLine}{output}";
        Assert.False(output.Contains("CS0104", StringComparison.Ordinal), "A name is ambiguous. " + report);
        Assert.True(exitCode == 0, report);
    }

    /// <summary>The <c>```csharp</c> block that directly follows <see cref="Marker"/>'s line.</summary>
    private static string EmbeddingProgram(string readme)
    {
        var lines = readme.ReplaceLineEndings("\n").Split('\n');
        var marker = Array.FindIndex(lines, line => line.StartsWith(Marker, StringComparison.Ordinal));
        Assert.True(marker >= 0, $"README.md has no line starting with '{Marker}' before the embedding example.");
        var fence = marker + 1;
        while (fence < lines.Length && lines[fence].Length == 0)
        {
            fence++;
        }

        Assert.True(fence < lines.Length && lines[fence] == "```csharp", $"README.md: the line after '{Marker}' is not a ```csharp block.");
        var end = Array.IndexOf(lines, "```", fence + 1);
        Assert.True(end > fence, "README.md: the embedding example's ```csharp block is not closed.");
        return string.Join('\n', lines[(fence + 1)..end]) + "\n";
    }

    /// <summary>
    /// <c>dotnet build</c> with all output (the referenced projects' too) under <paramref name="directory"/>, so that
    /// it shares nothing with the checkout's own build, and without build servers that would outlive the test.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> BuildAsync(string directory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "build", "Embedding.csproj", "--artifacts-path", Path.Combine(directory, "artifacts"),
                "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:quiet", "-nologo",
            },
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
