using System.Globalization;
using System.Security;
using System.Text;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// The sampling curve as an SVG line chart, drawn from a run's own results: full / propagation only
/// (median throughput ratio) at each sampling ratio, one line per operation and value size.
/// </summary>
internal static class SamplingChart
{
    private const int Width = 720;
    private const int Height = 420;
    private const int Left = 70;
    private const int Right = 190;
    private const int Top = 50;
    private const int Bottom = 60;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(IReadOnlyList<Variant> variants, int[] valueSizes, Results results, string title)
    {
        var sampled = variants.Where(v => v.IsInstrumented).OrderBy(v => v.Sampling).ToArray();
        var lines = new[] { Operation.Produce, Operation.Consume }
            .SelectMany(operation => valueSizes.Select(size => (
                Label: $"{operation} {Report.SizeName(size)}",
                Points: sampled.Select(v => results.MedianRate(operation, size, v) / results.MedianRate(operation, size, Variant.PropagationOnly)).ToArray())))
            .ToArray();

        // The y axis from 0 to the next tenth above every point and above 1 (propagation only).
        var yMax = Math.Ceiling(Math.Max(1.0, lines.Max(line => line.Points.Max())) * 10 + 0.5) / 10;
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int index) => Left + (sampled.Length == 1 ? plotWidth / 2.0 : index * plotWidth / (double)(sampled.Length - 1));
        double Y(double ratio) => Top + plotHeight * (1 - ratio / yMax);

        var svg = new StringBuilder();
        svg.AppendLine(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(Invariant, $"""  <rect width="{Width}" height="{Height}" fill="white"/>""");
        svg.AppendLine(Invariant, $"""  <text x="{Width / 2}" y="24" text-anchor="middle" font-size="15">{SecurityElement.Escape(title)}</text>""");

        for (var tick = 0.0; tick <= yMax + 1e-9; tick += 0.1)
        {
            var y = Y(tick);
            svg.AppendLine(Invariant, $"""  <line x1="{Left}" y1="{y:F1}" x2="{Left + plotWidth}" y2="{y:F1}" stroke="#e5e5e5"/>""");
            svg.AppendLine(Invariant, $"""  <text x="{Left - 8}" y="{y + 4:F1}" text-anchor="end">{tick:F1}</text>""");
        }

        svg.AppendLine(Invariant, $"""  <line x1="{Left}" y1="{Y(1):F1}" x2="{Left + plotWidth}" y2="{Y(1):F1}" stroke="#555" stroke-dasharray="6 4"/>""");
        svg.AppendLine(Invariant, $"""  <text x="{Left + plotWidth - 4}" y="{Y(1) - 6:F1}" text-anchor="end" fill="#555">propagation only</text>""");
        for (var i = 0; i < sampled.Length; i++)
        {
            svg.AppendLine(Invariant, $"""  <text x="{X(i):F1}" y="{Top + plotHeight + 20}" text-anchor="middle">{Variant.SamplingName(sampled[i].Sampling)}</text>""");
        }

        svg.AppendLine(Invariant, $"""  <text x="{Left + plotWidth / 2}" y="{Height - 16}" text-anchor="middle">spans sampled (parentbased_traceidratio)</text>""");
        svg.AppendLine(Invariant, $"""  <text transform="translate(20 {Top + plotHeight / 2}) rotate(-90)" text-anchor="middle">throughput, full / propagation only</text>""");

        for (var l = 0; l < lines.Length; l++)
        {
            var colour = Colours[l % Colours.Length];
            var (label, points) = lines[l];
            var path = string.Join(" ", points.Select((ratio, i) => string.Create(Invariant, $"{X(i):F1},{Y(ratio):F1}")));
            svg.AppendLine(Invariant, $"""  <polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>""");
            for (var i = 0; i < points.Length; i++)
            {
                svg.AppendLine(Invariant, $"""  <circle cx="{X(i):F1}" cy="{Y(points[i]):F1}" r="3.5" fill="{colour}"><title>{SecurityElement.Escape(label)}, {Variant.SamplingName(sampled[i].Sampling)}: {points[i]:F2}</title></circle>""");
            }

            var legendY = Top + 10 + l * 22;
            svg.AppendLine(Invariant, $"""  <line x1="{Width - Right + 20}" y1="{legendY}" x2="{Width - Right + 44}" y2="{legendY}" stroke="{colour}" stroke-width="2"/>""");
            svg.AppendLine(Invariant, $"""  <text x="{Width - Right + 50}" y="{legendY + 4}">{SecurityElement.Escape(label)}</text>""");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
