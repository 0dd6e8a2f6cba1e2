using System.Text.RegularExpressions;
using KafkaO11y.Tests.Observability;

namespace KafkaO11y.Tests.Docs;

/// <summary>Every link between the repository's Markdown pages leads somewhere: a file that exists, and a heading that exists in it.</summary>
public sealed partial class DocumentationLinksTests
{
    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string>();
        foreach (var page in Directory.GetFiles(Repository.PathOf("docs"), "*.md", SearchOption.AllDirectories)
                     .Append(Repository.PathOf("README.md")).Append(Repository.PathOf("observability/README.md")))
        {
            pages.Add(Path.GetRelativePath(Repository.Root, page));
        }

        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_leads_to_a_file_and_heading_that_exist(string page)
    {
        var path = Repository.PathOf(page);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(File.ReadAllText(path)))
        {
            var target = link.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, null);
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: no such file");
            }
            else if (anchor is not null && File.Exists(resolved) && !Anchors(resolved).Contains(anchor))
            {
                broken.Add($"{target}: no heading '#{anchor}' in {Path.GetFileName(resolved)}");
            }
        }

        Assert.True(broken.Count == 0, $"{page}:\n" + string.Join("\n", broken));
    }

    /// <summary>The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces as dashes.</summary>
    private static HashSet<string> Anchors(string page) =>
        [.. File.ReadLines(page).Where(l => l.StartsWith('#'))
            .Select(l => Punctuation().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    // [text](target) and ![alt](target), not inside inline code.
    [GeneratedRegex(@"(?<!`)!?\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"[^\p{L}\p{N} _-]")]
    private static partial Regex Punctuation();
}
