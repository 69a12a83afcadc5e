using System.Text;

namespace Switchboard.Server.Cli;

/// <summary>Plain-text tables with padded columns.</summary>
internal static class Table
{
    public static string Render(string[] headers, IReadOnlyList<string[]> rows)
    {
        var widths = headers.Select((header, column) => rows.Select(row => row[column].Length).Prepend(header.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        Line(headers);
        foreach (var row in rows)
        {
            Line(row);
        }

        return text.ToString();
    }
}
