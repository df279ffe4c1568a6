using Blog.Tests.Fixtures;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Blog.Tests.Web;

/// <summary>Every page of the web front end, signed in and out, has no serious or critical axe violation.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class WebAccessibilityTests(BlogAppFixture fixture, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private readonly IdentityClient _identity = new(fixture);
    private readonly WebFrontEnd _web = new(fixture);

    [Fact]
    public async Task No_page_has_a_serious_or_critical_violation()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var user = await _identity.RegisterAsync(timeout.Token);
        await using var browser = await chromium.NewContextAsync();
        var page = await browser.NewPageAsync();
        var violations = new List<string>();

        await CheckAsync(page, "/", violations);
        await CheckAsync(page, "/signed-out", violations);
        await CheckAsync(page, $"/posts/{Guid.NewGuid()}", violations);

        await _web.SignInAsync(page, user);
        await CheckAsync(page, "/write", violations);
        // The form with the post service's messages next to its fields.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await page.Locator("#title-error").WaitForAsync();
        await CheckCurrentAsync(page, "/write (refused)", violations);
        await page.GetByLabel("Title").FillAsync("Accessible");
        await page.GetByLabel("Body").FillAsync("A post to look at.");
        await page.GetByLabel("Tags (separated by commas)").FillAsync("a11y");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Accessible" }).WaitForAsync();
        var id = WebFrontEnd.PostIdOf(page);
        await CheckAsync(page, $"/posts/{id}", violations);
        await CheckAsync(page, $"/write/{id}", violations);
        await CheckAsync(page, "/posts/mine", violations);
        await CheckAsync(page, "/account", violations);
        await CheckAsync(page, "/?tag=a11y", violations);

        Assert.True(violations.Count == 0, "axe found:\n" + string.Join("\n", violations));
    }

    private async Task CheckAsync(IPage page, string path, List<string> violations)
    {
        await page.GotoAsync(_web.Url(path));
        await CheckCurrentAsync(page, path, violations);
    }

    private static async Task CheckCurrentAsync(IPage page, string name, List<string> violations)
    {
        var result = await page.RunAxe();
        violations.AddRange(result.Violations
            .Where(violation => violation.Impact is "serious" or "critical")
            .Select(violation => $"{name}: {violation.Impact} {violation.Id}: {violation.Help} ({string.Join(", ", violation.Nodes.Select(node => node.Html))})"));
        // A page that did not render is no page checked.
        Assert.True(await page.Locator("main h1").CountAsync() == 1, $"{name} shows no heading");
    }
}
