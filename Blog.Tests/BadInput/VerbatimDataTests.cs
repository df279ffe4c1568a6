using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.TestKit.BadInputHttp;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.BadInput;

/// <summary>
/// SQL, script and template fragments are data: stored and returned exactly as sent (string equality), never executed
/// or interpreted, and the tables they name keep working afterwards.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class VerbatimDataTests(BlogAppFixture fixture, CorpusCallers callers) : IClassFixture<CorpusCallers>
{
    private readonly IdentityClient _identity = new(fixture);

    public static TheoryData<string, string> Fragments() => new()
    {
        // title, body
        { "'; DROP TABLE posts; --", "<script>alert(1)</script>" },
        { "\" OR \"\"=\"", "' OR 1=1 --\n'; DELETE FROM posts WHERE '1'='1';\nSELECT pg_sleep(10);" },
        { "Robert'); DROP TABLE \"AspNetUsers\";--", "<img src=x onerror=alert(1)> {{7*7}} ${7*7} <%= 7*7 %> %s%n%x" },
        { "$1 \\ %_ [a-z]* ?? :name @p0", "```sql\nSELECT * FROM posts; -- a Markdown code block\n```\n\\u0000 as text, \\\\ and \\\" too" },
        { "Ünïcödé 😀 עברית \u202Eevil\u202C", "zero\u200Bwidth, CRLF\r\nand a tab\t, 👩‍💻, and ]]></script><!--" },
    };

    [Theory]
    [MemberData(nameof(Fragments))]
    public async Task A_post_holding_code_is_stored_and_returned_verbatim(string title, string body)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (author, token) = await callers.AuthorAsync(_identity);

        JsonElement created;
        using (var create = IdentityClient.Authorized(HttpMethod.Post, "/api/posts", token, new { title, body, tags = new[] { "sql" } }))
        using (var response = await posts.SendAsync(create, ct))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            created = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        }

        AssertVerbatim(created, title, body);
        var id = created.GetProperty("id").GetString();

        // Written again through the update path, with more of the same appended.
        var editedTitle = title + " --";
        var editedBody = body + "\n'; --";
        using (var update = IdentityClient.Authorized(HttpMethod.Put, $"/api/posts/{id}", token,
                   new { title = editedTitle, body = editedBody, tags = new[] { "sql" }, version = created.GetProperty("version").GetUInt32() }))
        using (var response = await posts.SendAsync(update, ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var updated = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            AssertVerbatim(updated, editedTitle, editedBody);
            using var publish = IdentityClient.Authorized(HttpMethod.Post, $"/api/posts/{id}/publish?version={updated.GetProperty("version").GetUInt32()}", token);
            using var published = await posts.SendAsync(publish, ct);
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        AssertVerbatim(await posts.GetFromJsonAsync<JsonElement>($"/api/posts/{id}", ct), editedTitle, editedBody);
        var listed = await posts.GetFromJsonAsync<JsonElement>($"/api/posts?author={author.Id}&tag=sql&pageSize=50", ct);
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), item => item.GetProperty("id").GetString() == id && item.GetProperty("body").GetString() == editedBody);

        // A filter is a value, not SQL: an author id with an injection matches nobody, the table still answers.
        var injected = await posts.GetFromJsonAsync<JsonElement>($"/api/posts?author={Uri.EscapeDataString(author.Id + "' OR '1'='1")}", ct);
        Assert.Empty(injected.GetProperty("items").EnumerateArray());
        var everyone = await posts.GetFromJsonAsync<JsonElement>($"/api/posts?author={Uri.EscapeDataString("' OR 1=1 --")}", ct);
        Assert.Empty(everyone.GetProperty("items").EnumerateArray());
        await CreatePostAsync(posts, token, ct, title: "The posts table still works");
    }

    [Fact]
    public async Task An_account_holding_code_in_its_email_and_password_works_verbatim()
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var ct = timeout.Token;
        var userName = IdentityClient.NewUserName();
        var email = $"o'hara+'--{userName}@example.test";
        const string password = "'; DROP TABLE \"AspNetUsers\"; --Aa1";

        using (var register = await _identity.UserService.PostAsJsonAsync("/api/account/register", new { userName, displayName = IdentityClient.NewDisplayName(), email, password }, ct))
        {
            Assert.True(register.StatusCode == HttpStatusCode.Created, await register.Content.ReadAsStringAsync(ct));
        }

        var token = await _identity.GetAccountTokenAsync(new TestUser("", userName, password), ct);
        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", token), ct);
        var account = await me.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(email, account.GetProperty("email").GetString());
        Assert.Equal(userName, account.GetProperty("userName").GetString());

        // The same password with the injection "completed" is simply wrong.
        var wrong = await _identity.PasswordGrantAsync(userName, password + "' OR '1'='1", ct);
        Assert.Equal("invalid_grant", wrong.Error);
    }

    private static void AssertVerbatim(JsonElement post, string title, string body)
    {
        Assert.Equal(title, post.GetProperty("title").GetString());
        Assert.Equal(body, post.GetProperty("body").GetString());
    }
}
