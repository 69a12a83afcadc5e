using System.Text.Json.Nodes;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The README's embedding example is a whole <c>Program.cs</c>: the one of samples/Embedding, a project as
/// <c>dotnet new web</c> makes it (Web SDK, implicit usings, nullable) that references the library. The solution build
/// compiles that project (test.sh builds it once more against the packed packages), which proves the example builds,
/// among other things that no public Switchboard type it uses is ambiguous with a type of a namespace the Web SDK
/// imports implicitly (CS0104). These tests keep the README's copies (the program, the routes of its appsettings.json)
/// the same as the compiled ones.
/// </summary>
public sealed class ReadmeEmbeddingTests
{
    /// <summary>The HTML comment in README.md right before the example's <c>```csharp</c> block.</summary>
    private const string Marker = "<!-- embedding-program:";

    [Fact]
    public async Task ReadmeEmbeddingProgram_IsTheEmbeddingSamplesProgram()
    {
        var readmeProgram = EmbeddingProgram(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "README.md")));
        var sampleProgram = (await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "samples", "Embedding", "Program.cs"))).ReplaceLineEndings("\n");

        Assert.Equal(sampleProgram, readmeProgram);
    }

    [Fact]
    public async Task ReadmeRoutesSection_IsTheEmbeddingSamplesRoutes()
    {
        var lines = (await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "README.md"))).ReplaceLineEndings("\n").Split('\n');
        var marker = Array.FindIndex(lines, line => line.StartsWith(Marker, StringComparison.Ordinal));
        var fence = Array.IndexOf(lines, "```json", marker + 1);
        Assert.True(marker >= 0 && fence > marker, "README.md: no ```json block after the embedding example.");
        var end = Array.IndexOf(lines, "```", fence + 1);
        // The README shows the section as it sits in appsettings.json: a property, so it is parsed inside braces.
        var readmeSection = JsonNode.Parse("{" + string.Join('\n', lines[(fence + 1)..end]) + "}")!;
        var sampleSettings = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "samples", "Embedding", "appsettings.json")))!;

        Assert.True(
            JsonNode.DeepEquals(readmeSection["Switchboard"]!["Routes"], sampleSettings["Switchboard"]!["Routes"]),
            $"README routes {readmeSection["Switchboard"]!["Routes"]!.ToJsonString()} differ from samples/Embedding/appsettings.json's {sampleSettings["Switchboard"]!["Routes"]!.ToJsonString()}");
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
}
