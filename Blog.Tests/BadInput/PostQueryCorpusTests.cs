using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.BadInput;

/// <summary>
/// The post service's query strings, ids and versions that must be refused: page and page size out of range or not
/// numbers (400, never clamped), tag and author filters that cannot match anything valid, ids that do not exist or do not
/// parse (404), versions that do not parse (400); every answer a ProblemDetails, nothing stored changed.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostQueryCorpusTests(BlogAppFixture fixture, CorpusCallers callers) : IClassFixture<CorpusCallers>
{
    /// <summary>No post has this id (it is fixed, so each case keeps its name from one run to the next).</summary>
    private const string MissingId = "0f8fad5b-d9cb-469f-a165-70867728950e";

    public static TheoryData<string, bool, string> QueryFaults() => new()
    {
        // path and query, sent with the author's token?, what the problem must name
        { "/api/posts?pageSize=0", false, "pageSize" },
        { "/api/posts?pageSize=-1", false, "pageSize" },
        { "/api/posts?pageSize=51", false, "pageSize" },
        { "/api/posts?pageSize=1000000", false, "pageSize" },
        { "/api/posts?pageSize=99999999999", false, "pageSize" },
        { "/api/posts?pageSize=abc", false, "pageSize" },
        { "/api/posts?pageSize=1.5", false, "pageSize" },
        { "/api/posts?pageSize=%00", false, "pageSize" },
        { "/api/posts?page=0", false, "page" },
        { "/api/posts?page=-1", false, "page" },
        { "/api/posts?page=10001", false, "page" },
        { "/api/posts?page=2147483647", false, "page" },
        { "/api/posts?page=99999999999", false, "page" },
        { "/api/posts?page=abc", false, "page" },
        { "/api/posts?tag=%27%20OR%201%3D1%20--", false, "tag" },
        { "/api/posts?tag=" + new string('a', 33), false, "tag" },
        { "/api/posts?tag=%00", false, "tag" },
        { "/api/posts?author=%00", false, "author" },
        { "/api/posts?author=" + new string('a', 451), false, "author" },
        { "/api/posts/mine?pageSize=0", true, "pageSize" },
        { "/api/posts/mine?pageSize=-1", true, "pageSize" },
        { "/api/posts/mine?pageSize=99999999999", true, "pageSize" },
        { "/api/posts/mine?pageSize=abc", true, "pageSize" },
        { "/api/posts/mine?page=0", true, "page" },
        { "/api/posts/mine?page=2147483647", true, "page" },
        { "/api/posts/mine?page=abc", true, "page" },
    };

    [Theory]
    [MemberData(nameof(QueryFaults))]
    public async Task A_bad_list_query_is_refused(string pathAndQuery, bool asAuthor, string names)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var token = asAuthor ? (await callers.AuthorAsync(new IdentityClient(fixture))).Token : null;

        using var request = Request(HttpMethod.Get, pathAndQuery, token);
        using var response = await posts.SendAsync(request, timeout.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, names, timeout.Token);
    }

    public static TheoryData<string, string, string, HttpStatusCode> IdFaults()
    {
        var cases = new TheoryData<string, string, string, HttpStatusCode>();
        string[] ids =
        [
            MissingId,
            "00000000-0000-0000-0000-000000000000",
            "not-a-guid",
            "12345",
            "%27%20OR%20%271%27%3D%271",
            "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            new string('f', 2000),
        ];
        foreach (var id in ids)
        {
            cases.Add("GET", "/api/posts/{id}", id, HttpStatusCode.NotFound);
            cases.Add("PUT", "/api/posts/{id}", id, HttpStatusCode.NotFound);
            cases.Add("POST", "/api/posts/{id}/publish?version=1", id, HttpStatusCode.NotFound);
            cases.Add("DELETE", "/api/posts/{id}?version=1", id, HttpStatusCode.NotFound);
        }

        // There is no PATCH: the method is refused, also as ProblemDetails.
        cases.Add("PATCH", "/api/posts/{id}", MissingId, HttpStatusCode.MethodNotAllowed);
        return cases;
    }

    [Theory]
    [MemberData(nameof(IdFaults))]
    public async Task An_id_that_does_not_exist_or_does_not_parse_is_not_found(string method, string template, string id, HttpStatusCode status)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await callers.AuthorAsync(new IdentityClient(fixture));
        var body = method is "PUT" or "PATCH" ? RawBody("""{"title":"t","body":"b","version":1}""") : null;

        using var request = Request(new HttpMethod(method), template.Replace("{id}", id, StringComparison.Ordinal), token, body);
        using var response = await posts.SendAsync(request, timeout.Token);

        await AssertProblemAsync(response, status, names: null, timeout.Token);
    }

    public static TheoryData<string, string, string?> VersionFaults()
    {
        var cases = new TheoryData<string, string, string?>();
        foreach (var operation in new[] { "publish", "delete" })
        {
            // the query string, the If-Match header (null: none)
            cases.Add(operation, "", null);
            cases.Add(operation, "?version=abc", null);
            cases.Add(operation, "?version=-1", null);
            cases.Add(operation, "?version=1.5", null);
            cases.Add(operation, "?version=99999999999", null);
            cases.Add(operation, "", "garbage");
            cases.Add(operation, "", "\"abc\"");
            cases.Add(operation, "", "W/");
            cases.Add(operation, "", "\"-1\"");
            cases.Add(operation, "?version=1", "\"2\"");
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(VersionFaults))]
    public async Task A_bad_version_is_refused_and_the_post_stays_as_it_was(string operation, string query, string? ifMatch)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await callers.AuthorAsync(new IdentityClient(fixture));
        var post = await callers.OnceAsync("draft", cancellationToken => CreatePostAsync(posts, token, cancellationToken, title: "Still a draft"));
        var id = post.GetProperty("id").GetString();

        var path = operation == "publish" ? $"/api/posts/{id}/publish{query}" : $"/api/posts/{id}{query}";
        using var request = Request(operation == "publish" ? HttpMethod.Post : HttpMethod.Delete, path, token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using (var response = await posts.SendAsync(request, ct))
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "version", ct);
        }

        using var read = Request(HttpMethod.Get, $"/api/posts/{id}", token);
        using var after = await posts.SendAsync(read, ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var stored = await after.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("draft", stored.GetProperty("status").GetString());
        Assert.Equal(post.GetProperty("version").GetUInt32(), stored.GetProperty("version").GetUInt32());
    }
}
