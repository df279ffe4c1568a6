using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.Playwright;

namespace Blog.Tests.Web;

/// <summary>
/// Blog.Web in headless Chromium through the running application: the whole tour a person takes, another person's
/// post (no edit button, a forged form refused), a login revoked at the user service.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class WebFrontEndTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private readonly IdentityClient _identity = new(fixture);
    private readonly WebFrontEnd _web = new(fixture);

    [Fact]
    public async Task Another_person_sees_no_edit_button_and_a_forged_edit_is_refused()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var author = await _identity.RegisterAsync(timeout.Token);
        using var authorPosts = await _identity.CreateClientAsync(author, timeout.Token);
        var post = await CreatePublishedPostAsync(authorPosts, "Not yours to edit", timeout.Token);
        var other = await _identity.RegisterAsync(timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await _web.SignInAsync(page, other);

        await page.GotoAsync(_web.Url($"/posts/{post.Id}"));
        await page.GetByRole(AriaRole.Heading, new() { Name = "Not yours to edit" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).CountAsync());
        var editPage = await page.GotoAsync(_web.Url($"/write/{post.Id}"));
        Assert.Equal((int)HttpStatusCode.Forbidden, editPage!.Status);

        // A form forged from the person's own write page (a valid antiforgery token of theirs) aimed at the other's post.
        await page.GotoAsync(_web.Url("/write"));
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var forged = await page.APIRequest.PostAsync(_web.Url($"/write/{post.Id}"), new()
        {
            Form = FormWith(page.APIRequest, ("Draft.Title", "Defaced"), ("Draft.Body", "Defaced"), ("Version", post.Version.ToString()), ("__RequestVerificationToken", antiforgery!)),
            MaxRedirects = 0,
        });
        Assert.Equal((int)HttpStatusCode.Forbidden, forged.Status);
        var forgedDelete = await page.APIRequest.PostAsync(_web.Url($"/posts/{post.Id}?handler=Delete"), new()
        {
            Form = FormWith(page.APIRequest, ("version", post.Version.ToString()), ("__RequestVerificationToken", antiforgery!)),
            MaxRedirects = 0,
        });
        Assert.Equal((int)HttpStatusCode.Forbidden, forgedDelete.Status);

        // Without the antiforgery token (a cross-site form), refused before anything is sent.
        var crossSite = await page.APIRequest.PostAsync(_web.Url($"/write/{post.Id}"), new()
        {
            Form = FormWith(page.APIRequest, ("Draft.Title", "Defaced"), ("Draft.Body", "Defaced"), ("Version", post.Version.ToString())),
            MaxRedirects = 0,
        });
        Assert.Equal((int)HttpStatusCode.BadRequest, crossSite.Status);

        var unchanged = await authorPosts.GetFromJsonAsync<JsonElement>($"/api/posts/{post.Id}", timeout.Token);
        Assert.Equal("Not yours to edit", unchanged.GetProperty("title").GetString());
        Assert.Equal(post.Version, unchanged.GetProperty("version").GetUInt32());
    }

    [Fact]
    public async Task The_tour_write_publish_read_signed_out_conflict_delete_and_sign_out()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var user = await _identity.RegisterAsync(timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await _web.SignInAsync(page, user);

        // The post service's own rules, each message next to its field; what was typed stays.
        await page.GotoAsync(_web.Url("/write"));
        await page.GetByLabel("Body").FillAsync("A body without a title.");
        var refused = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync(),
            response => response.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("A title is required.", (await page.Locator("#title-error").InnerTextAsync()).Trim());
        Assert.Equal("A body without a title.", await page.GetByLabel("Body").InputValueAsync());

        var title = $"Hello from the browser {Guid.NewGuid():N}"[..32];
        await page.GetByLabel("Title").FillAsync(title);
        await page.GetByLabel("Body").FillAsync("My first post, written in the web front end.");
        await page.GetByLabel("Tags (separated by commas)").FillAsync("tour, web");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = title }).WaitForAsync();
        var id = WebFrontEnd.PostIdOf(page);
        Assert.Contains("Draft", await page.Locator(".meta").InnerTextAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).CountAsync());

        // Anyone, signed out, reads it in the list and alone.
        await using (var anonymous = await chromium.NewContextAsync())
        {
            var reader = await anonymous.NewPageAsync();
            await reader.GotoAsync(_web.Url("/?tag=tour"));
            // BLOG_WEB_SCREENSHOT=docs/web-posts.png saves this page for the README.
            if (Environment.GetEnvironmentVariable("BLOG_WEB_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                await reader.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            }

            await reader.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
            await reader.GetByRole(AriaRole.Heading, new() { Name = title }).WaitForAsync();
            Assert.Contains("My first post", await reader.Locator(".body").InnerTextAsync());
            Assert.Equal(0, await reader.GetByRole(AriaRole.Link, new() { Name = "Edit" }).CountAsync());
        }

        // Two tabs edit the same version: the second save is a conflict, said plainly, and its text is kept.
        var second = await browser.NewPageAsync();
        await page.GotoAsync(_web.Url($"/write/{id}"));
        await second.GotoAsync(_web.Url($"/write/{id}"));
        await page.GetByLabel("Body").FillAsync("Edited in the first tab.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.GetByText("Edited in the first tab.").WaitForAsync();
        await second.GetByLabel("Body").FillAsync("Typed in the second tab, which must not be lost.");
        var conflict = await second.RunAndWaitForResponseAsync(() => second.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync(),
            response => response.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.Conflict, conflict.Status);
        Assert.Contains("changed since you opened it", await second.GetByRole(AriaRole.Alert).InnerTextAsync());
        Assert.Equal("Typed in the second tab, which must not be lost.", await second.GetByLabel("Body").InputValueAsync());

        await page.GotoAsync(_web.Url($"/posts/{id}"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "My posts" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = title }).CountAsync());
        var gone = await page.GotoAsync(_web.Url($"/posts/{id}"));
        Assert.Equal((int)HttpStatusCode.NotFound, gone!.Status);

        // Sign out: here, then at the user service (the person confirms there), and back.
        await page.GotoAsync(_web.Url("/"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" }).WaitForAsync();
        Assert.StartsWith(_web.Url("/signed-out"), page.Url);
        var mine = await page.GotoAsync(_web.Url("/posts/mine"));
        // Signed out here and there: the sign-in page of the user service asks for the password again.
        await page.GetByLabel("Password").WaitForAsync();
        Assert.NotNull(mine);
    }

    [Fact]
    public async Task A_login_ended_at_the_user_service_signs_the_person_out_with_a_message()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var user = await _identity.RegisterAsync(timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        await _web.SignInAsync(page, user);
        await page.GotoAsync(_web.Url("/posts/mine"));
        await page.GetByRole(AriaRole.Heading, new() { Name = "My posts" }).WaitForAsync();

        // Signed out everywhere from elsewhere (another app of the person's): every token is revoked.
        var accountToken = await _identity.GetAccountTokenAsync(user, timeout.Token);
        using var logoutAll = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Post, "/api/account/logout-all", accountToken), timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, logoutAll.StatusCode);

        await page.GotoAsync(_web.Url("/posts/mine"));
        await page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" }).WaitForAsync();
        Assert.Contains("your sign-in ended at the user service", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.Equal(0, await page.GetByText("Signed in as").CountAsync());
    }

    private static async Task<(Guid Id, uint Version)> CreatePublishedPostAsync(HttpClient posts, string title, CancellationToken cancellationToken)
    {
        using var created = await posts.PostAsJsonAsync("/api/posts", new { title, body = "Someone's words.", tags = new[] { "web" } }, cancellationToken);
        created.EnsureSuccessStatusCode();
        var draft = await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var id = draft.GetProperty("id").GetGuid();
        using var publish = new HttpRequestMessage(HttpMethod.Post, $"/api/posts/{id}/publish");
        publish.Headers.TryAddWithoutValidation("If-Match", $"\"{draft.GetProperty("version").GetUInt32()}\"");
        using var published = await posts.SendAsync(publish, cancellationToken);
        published.EnsureSuccessStatusCode();
        return (id, (await published.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("version").GetUInt32());
    }

    private static IFormData FormWith(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}
