using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.BadInput;

/// <summary>
/// Bodies of POST /api/posts and PUT /api/posts/{id} that must be refused: each gets its 4xx ProblemDetails naming the
/// problem, and nothing stored changes (no post appears; the edited post reads exactly as before).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostBodyCorpusTests(BlogAppFixture fixture, CorpusCallers callers) : IClassFixture<CorpusCallers>
{
    private const string Create = "create";
    private const string Update = "update";
    private const string VersionPlaceholder = "$VERSION";

    /// <summary>Well-formed JSON objects with one thing wrong; an update gets the post's valid "version" added in front.</summary>
    private static readonly (string Case, string Json, string Names)[] FieldFaults =
    [
        ("title is a number", """{"title":42,"body":"b"}""", "title"),
        ("title is an object", """{"title":{"text":"t"},"body":"b"}""", "title"),
        ("body is an array", """{"title":"t","body":["b"]}""", "body"),
        ("body is a boolean", """{"title":"t","body":true}""", "body"),
        ("tags is a string", """{"title":"t","body":"b","tags":"dotnet"}""", "tags"),
        ("tags holds a number", """{"title":"t","body":"b","tags":[1]}""", "tags"),
        ("tags holds null", """{"title":"t","body":"b","tags":[null]}""", "tags"),
        ("title is null", """{"title":null,"body":"b"}""", "title"),
        ("title is missing", """{"body":"b"}""", "title"),
        ("body is missing", """{"title":"t"}""", "body"),
        ("every field is missing", """{}""", "title"),
        ("title is empty", """{"title":"","body":"b"}""", "title"),
        ("title is whitespace", """{"title":" \t\n\u00a0 ","body":"b"}""", "title"),
        ("body is empty", """{"title":"t","body":""}""", "body"),
        ("body is whitespace", """{"title":"t","body":"  \r\n  "}""", "body"),
        ("a tag is empty", """{"title":"t","body":"b","tags":[""]}""", "tags"),
        ("a tag is whitespace", """{"title":"t","body":"b","tags":["   "]}""", "tags"),
        ("title is one over 200 characters", $$"""{"title":"{{new string('t', 201)}}","body":"b"}""", "title"),
        ("body is one over 100000 characters", $$"""{"title":"t","body":"{{new string('b', 100_001)}}"}""", "body"),
        ("a tag is one over 32 characters", $$"""{"title":"t","body":"b","tags":["{{new string('a', 33)}}"]}""", "tags"),
        ("eleven tags", """{"title":"t","body":"b","tags":["a1","a2","a3","a4","a5","a6","a7","a8","a9","a10","a11"]}""", "tags"),
        ("a tag is an SQL fragment", """{"title":"t","body":"b","tags":["' OR 1=1 --"]}""", "tags"),
        ("a tag is a script", """{"title":"t","body":"b","tags":["<script>"]}""", "tags"),
        ("title holds NUL", """{"title":"a\u0000b","body":"b"}""", "title"),
        ("body holds NUL", """{"title":"t","body":"a\u0000b"}""", "body"),
        ("title holds a control character", """{"title":"a\u0007b","body":"b"}""", "title"),
        ("title holds a lone surrogate", """{"title":"a\ud800b","body":"b"}""", "title"),
        ("title is invalid UTF-8", """{"title":"a<0xC3><0x28>b","body":"b"}""", "title"),
        ("an unknown field", """{"title":"t","body":"b","sneaky":1}""", "sneaky"),
        ("an unknown field that looks like a right: status", """{"title":"t","body":"b","status":"published"}""", "status"),
        ("an unknown field that looks like a right: authorId", """{"title":"t","body":"b","authorId":"someone-else"}""", "authorId"),
        ("a field given twice", """{"title":"t","title":"u","body":"b"}""", "title"),
    ];

    /// <summary>Faults of the version an update carries (the rest of the body is valid).</summary>
    private static readonly (string Case, string Json, string Names)[] VersionFaults =
    [
        ("version is missing", """{"title":"t","body":"b"}""", "version"),
        ("version is a string", """{"title":"t","body":"b","version":"abc"}""", "version"),
        ("version is negative", """{"title":"t","body":"b","version":-1}""", "version"),
        ("version is a fraction", """{"title":"t","body":"b","version":1.5}""", "version"),
        ("version is beyond 32 bits", """{"title":"t","body":"b","version":99999999999}""", "version"),
    ];

    /// <summary>Bodies that are no JSON object at all, or not declared as JSON; sent to both operations as they are.</summary>
    private static readonly (string Case, string Body, string? MediaType, HttpStatusCode Status, string? Names)[] WholeBodyFaults =
    [
        ("an empty body", "", "application/json", HttpStatusCode.BadRequest, null),
        ("JSON null", "null", "application/json", HttpStatusCode.BadRequest, null),
        ("a JSON array", """[{"title":"t","body":"b"}]""", "application/json", HttpStatusCode.BadRequest, null),
        ("a JSON string", "\"title\"", "application/json", HttpStatusCode.BadRequest, null),
        ("truncated JSON", """{"title":"t","body":""", "application/json", HttpStatusCode.BadRequest, null),
        ("a trailing comma", """{"title":"t","body":"b",}""", "application/json", HttpStatusCode.BadRequest, null),
        ("a comment", """{"title":"t" /* hi */,"body":"b"}""", "application/json", HttpStatusCode.BadRequest, null),
        ("single quotes", """{'title':'t','body':'b'}""", "application/json", HttpStatusCode.BadRequest, null),
        ("a form instead of JSON", "title=t&body=b", "application/json", HttpStatusCode.BadRequest, null),
        ("invalid UTF-8 outside strings", """{"title":"t",<0xFF>"body":"b"}""", "application/json", HttpStatusCode.BadRequest, null),
        ("arrays nested 100 deep", $$"""{"title":"t","body":"b","tags":{{new string('[', 100)}}{{new string(']', 100)}}}""", "application/json", HttpStatusCode.BadRequest, "tags"),
        ("JSON sent as text/plain", """{"title":"t","body":"b"}""", "text/plain", HttpStatusCode.UnsupportedMediaType, "text/plain"),
        ("JSON sent without a Content-Type", """{"title":"t","body":"b"}""", null, HttpStatusCode.UnsupportedMediaType, null),
    ];

    public static TheoryData<string, string, string, string?, HttpStatusCode, string?> Cases()
    {
        var cases = new TheoryData<string, string, string, string?, HttpStatusCode, string?>();
        foreach (var operation in new[] { Create, Update })
        {
            foreach (var (name, json, names) in FieldFaults)
            {
                cases.Add(operation, name, operation == Update ? WithVersion(json) : json, "application/json", HttpStatusCode.BadRequest, names);
            }

            foreach (var (name, body, mediaType, status, names) in WholeBodyFaults)
            {
                cases.Add(operation, name, body, mediaType, status, names);
            }
        }

        foreach (var (name, json, names) in VersionFaults)
        {
            cases.Add(Update, name, json, "application/json", HttpStatusCode.BadRequest, names);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_post_body_is_refused_and_nothing_stored_changes(
        string operation, string @case, string body, string? mediaType, HttpStatusCode status, string? names)
    {
        _ = @case; // names the row in the test's display name
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await callers.AuthorAsync(new IdentityClient(fixture));
        var post = await callers.OnceAsync("post", cancellationToken => CreatePostAsync(posts, token, cancellationToken, title: "Untouched", tags: ["corpus"]));
        var id = post.GetProperty("id").GetString();
        var before = await ReadAsync(posts, id, token, ct);
        var mineBefore = await MyPostIdsAsync(posts, token, ct);

        HttpResponseMessage response;
        if (operation == Create)
        {
            using var request = Request(HttpMethod.Post, "/api/posts", token, RawBody(body, mediaType));
            response = await posts.SendAsync(request, ct);
        }
        else
        {
            var versioned = body.Replace(VersionPlaceholder, before.GetProperty("version").GetUInt32().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            using var request = Request(HttpMethod.Put, $"/api/posts/{id}", token, RawBody(versioned, mediaType));
            response = await posts.SendAsync(request, ct);
        }

        using (response)
        {
            await AssertProblemAsync(response, status, names, ct);
        }

        Assert.Equal(mineBefore, await MyPostIdsAsync(posts, token, ct));
        var after = await ReadAsync(posts, id, token, ct);
        foreach (var field in new[] { "title", "body", "tags", "status", "version", "updatedAt" })
        {
            Assert.Equal(before.GetProperty(field).GetRawText(), after.GetProperty(field).GetRawText());
        }
    }

    private static async Task<JsonElement> ReadAsync(HttpClient posts, string? id, string token, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"/api/posts/{id}", token);
        using var response = await posts.SendAsync(request, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    /// <summary>The valid version goes first (the test puts the post's in), so the row's own JSON follows unchanged.</summary>
    private static string WithVersion(string json)
        => json == "{}" ? $$"""{"version":{{VersionPlaceholder}}}""" : $$"""{"version":{{VersionPlaceholder}},""" + json[1..];

    private static async Task<List<string>> MyPostIdsAsync(HttpClient posts, string token, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "/api/posts/mine?pageSize=50", token);
        using var response = await posts.SendAsync(request, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()!)];
    }
}
