using System.Globalization;
using System.Net;
using System.Text;

namespace Switchboard.LoadTest;

/// <summary>Small self-contained SVG charts: one value per server per connection count, as lines or grouped bars.</summary>
internal static class SvgChart
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

    public static string Render(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, double?[] Values)> series, bool bars, string? footnote)
    {
        const int width = 800, height = 420, left = 90, right = 250, top = 50, bottom = 70;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var max = series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(1).Max();
        var (tickStep, axisMax) = NiceAxis(max);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Escape(title)}</text>\n");
        for (var tick = 0.0; tick <= axisMax + tickStep / 2; tick += tickStep)
        {
            var y = top + plotHeight - tick / axisMax * plotHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{left + plotWidth}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Format(tick)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + plotHeight}\" x2=\"{left + plotWidth}\" y2=\"{top + plotHeight}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotHeight}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(20,{top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth / 2}\" y=\"{height - 30}\" text-anchor=\"middle\">connections (N)</text>\n");

        var slot = plotWidth / (double)Math.Max(1, categories.Count);
        for (var c = 0; c < categories.Count; c++)
        {
            var x = left + slot * (c + 0.5);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{top + plotHeight + 18}\" text-anchor=\"middle\">{Escape(categories[c])}</text>\n");
        }

        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var (name, values) = series[s];
            if (bars)
            {
                var barWidth = slot * 0.8 / series.Count;
                for (var c = 0; c < values.Length; c++)
                {
                    if (values[c] is not { } value)
                    {
                        continue;
                    }

                    var x = left + slot * c + slot * 0.1 + barWidth * s;
                    var h = value / axisMax * plotHeight;
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:F1}\" y=\"{top + plotHeight - h:F1}\" width=\"{barWidth - 2:F1}\" height=\"{h:F1}\" fill=\"{color}\"/>\n");
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + barWidth / 2 - 1:F1}\" y=\"{top + plotHeight - h - 4:F1}\" text-anchor=\"middle\" font-size=\"10\">{Format(value)}</text>\n");
                }
            }
            else
            {
                var points = new List<string>();
                for (var c = 0; c < values.Length; c++)
                {
                    if (values[c] is not { } value)
                    {
                        continue;
                    }

                    var x = left + slot * (c + 0.5);
                    var y = top + plotHeight - value / axisMax * plotHeight;
                    points.Add(string.Create(CultureInfo.InvariantCulture, $"{x:F1},{y:F1}"));
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{x:F1}\" cy=\"{y:F1}\" r=\"4\" fill=\"{color}\"/>\n");
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 6:F1}\" y=\"{y - 6:F1}\" font-size=\"10\" fill=\"{color}\">{Format(value)}</text>\n");
                }

                svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            }

            var legendY = top + 10 + s * 20;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + plotWidth + 15}\" y=\"{legendY - 9}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth + 32}\" y=\"{legendY + 2}\">{Escape(name)}</text>\n");
        }

        if (footnote is not null)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\" font-size=\"10\" fill=\"#555\">{Escape(footnote)}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static (double Step, double Max) NiceAxis(double max)
    {
        if (max <= 0)
        {
            return (1, 1);
        }

        var rough = max / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(candidate => candidate >= rough);
        return (step, Math.Ceiling(max / step) * step);
    }

    private static string Format(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
