namespace Blog.TestKit;

/// <summary>Files of the repository the tests read (README.md, docs/, http/, project files).</summary>
public static class RepositoryFiles
{
    /// <summary>The repository root: the nearest directory above the test assembly holding Blog.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string ReadAllText(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Blog.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Blog.sln above {AppContext.BaseDirectory}.");
    }
}
