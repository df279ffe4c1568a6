namespace Blog.UnitTests.Docs;

/// <summary>README's "Repository layout" names every project and every folder in it, so a newcomer finds each concept.</summary>
public sealed class RepositoryLayoutTests
{
    private static readonly HashSet<string> BuildFolders = new(StringComparer.Ordinal) { "bin", "obj", "Properties", "TestResults", "Migrations" };

    [Fact]
    public void Every_project_folder_is_named_in_the_layout_table()
    {
        var layout = LayoutSection();
        var missing = new List<string>();
        foreach (var project in Directory.GetDirectories(RepositoryFiles.Root, "Blog.*"))
        {
            var projectName = Path.GetFileName(project);
            if (!layout.Contains($"`{projectName}`", StringComparison.Ordinal))
            {
                missing.Add(projectName);
            }

            missing.AddRange(Folders(project)
                .Where(folder => !layout.Contains($"{Path.GetFileName(folder)}/`", StringComparison.Ordinal))
                .Select(folder => Path.GetRelativePath(RepositoryFiles.Root, folder)));
        }

        Assert.True(missing.Count == 0, $"README's layout table does not name: {string.Join(", ", missing)}");
    }

    private static IEnumerable<string> Folders(string directory)
        => Directory.GetDirectories(directory)
            .Where(folder => !BuildFolders.Contains(Path.GetFileName(folder)))
            .SelectMany(folder => Folders(folder).Prepend(folder));

    private static string LayoutSection()
    {
        var readme = RepositoryFiles.ReadAllText("README.md");
        var start = readme.IndexOf("## Repository layout", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no 'Repository layout' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }
}
