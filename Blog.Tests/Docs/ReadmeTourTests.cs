using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Docs;

/// <summary>
/// The README's "Five-minute tour" runs exactly as written (its ```bash blocks, in order, in one bash) against the test
/// AppHost; only USERS and POSTS come from the environment, as the README's own defaults allow.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class ReadmeTourTests(BlogAppFixture fixture)
{
    public const string SectionHeading = "## Five-minute tour";
    private static readonly TimeSpan TourTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public void The_tour_is_right_after_the_quick_start_and_uses_only_the_documented_urls()
    {
        var headings = File.ReadLines(Path.Combine(RepositoryFiles.Root, "README.md")).Where(line => line.StartsWith("## ", StringComparison.Ordinal)).ToList();
        Assert.Equal(headings.IndexOf("## Quick start") + 1, headings.IndexOf(SectionHeading));

        var script = ExtractTour(RepositoryFiles.ReadAllText("README.md"));
        Assert.Contains("USERS=${USERS:-http://localhost:5101}", script, StringComparison.Ordinal);
        Assert.Contains("POSTS=${POSTS:-http://localhost:5102}", script, StringComparison.Ordinal);
        Assert.DoesNotContain("jq", script, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", script, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_readme_tour_runs_as_written()
    {
        var script = ExtractTour(RepositoryFiles.ReadAllText("README.md"));
        using var users = fixture.CreateHttpClient(BlogResources.UserService);
        using var posts = fixture.CreateHttpClient(BlogResources.PostService);

        var (exitCode, output) = await RunBashAsync(script, new Dictionary<string, string>
        {
            ["USERS"] = users.BaseAddress!.GetLeftPart(UriPartial.Authority),
            ["POSTS"] = posts.BaseAddress!.GetLeftPart(UriPartial.Authority),
        });

        Assert.True(exitCode == 0, $"the tour failed (exit {exitCode}):\n{output}");
        // What the README promises each step shows.
        Assert.Matches("\"roles\":\\[\"author\"\\]", output);
        Assert.Matches("access token: \\S{24}\\.\\.\\.", output);
        Assert.Contains("\"status\":\"published\"", output, StringComparison.Ordinal);
        Assert.Contains("\"title\":\"Hello, Blog\"", output, StringComparison.Ordinal);
        Assert.Contains("\"items\":[{", output, StringComparison.Ordinal);
        Assert.Contains("GET /api/posts/mine with the revoked token: 401", output, StringComparison.Ordinal);
    }

    /// <summary>The ```bash blocks of the tour section, in order.</summary>
    internal static string ExtractTour(string readme)
    {
        var start = readme.IndexOf("\n" + SectionHeading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{SectionHeading}' section");
        var end = readme.IndexOf("\n## ", start + SectionHeading.Length + 1, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        var blocks = BashBlock().Matches(section).Select(match => match.Groups["code"].Value).ToList();
        Assert.True(blocks.Count >= 5, $"expected the tour's bash blocks, found {blocks.Count}");
        return string.Join("\n", blocks);
    }

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var file = Path.Combine(Path.GetTempPath(), $"blog-tour-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, script);
        try
        {
            // -e: a failing command (curl --fail-with-body on an HTTP error) fails the tour; -u: a typo in a variable too.
            var start = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-euo", "pipefail", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
            var output = new StringBuilder();
            var stdout = PumpAsync(process.StandardOutput, output);
            var stderr = PumpAsync(process.StandardError, output);
            using var timeout = new CancellationTokenSource(TourTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                await Task.WhenAll(stdout, stderr);
                return (-1, $"timed out after {TourTimeout}:\n{output}");
            }

            await Task.WhenAll(stdout, stderr);
            return (process.ExitCode, output.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"^```bash\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex BashBlock();
}
