using System.Text.RegularExpressions;

namespace Blog.Tests.Docs;

/// <summary>One request line of a .http file: "POST {{posts}}/api/posts/{{id}}/publish HTTP/1.1".</summary>
internal sealed record HttpFileRequest(string File, string Method, string BaseVariable, string Path)
{
    /// <summary>"POST /api/posts/{}/publish": comparable with <see cref="OpenApiDocumentTests.NormalizeTemplate"/>.</summary>
    public string Key => OpenApiDocumentTests.NormalizeTemplate($"{Method} {Path}");
}

internal static partial class RequestFiles
{
    public static IReadOnlyList<HttpFileRequest> ReadRequests()
    {
        var directory = Path.Combine(RepositoryFiles.Root, "http");
        var requests = new List<HttpFileRequest>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.http"))
        {
            foreach (var line in File.ReadLines(file))
            {
                var match = RequestLine().Match(line);
                if (match.Success)
                {
                    var path = match.Groups["path"].Value.Split('?')[0];
                    requests.Add(new HttpFileRequest(Path.GetFileName(file), match.Groups["method"].Value, match.Groups["base"].Value,
                        path.Length == 0 ? "/" : path));
                }
            }
        }

        return requests;
    }

    [GeneratedRegex(@"^(?<method>GET|POST|PUT|DELETE|PATCH)\s+\{\{(?<base>\w+)\}\}(?<path>\S*)")]
    private static partial Regex RequestLine();
}
