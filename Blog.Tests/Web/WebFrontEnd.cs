using Blog.Tests.Fixtures;
using Microsoft.Playwright;

namespace Blog.Tests.Web;

/// <summary>The web front end as a person uses it in the browser: its address, signing in (and consenting), signing out.</summary>
public sealed class WebFrontEnd(BlogAppFixture fixture)
{
    public string Address { get; } = fixture.App.GetEndpoint(BlogResources.Web, "http").ToString().TrimEnd('/');

    public string Url(string path) => Address + path;

    /// <summary>Signs in through the user service's pages; the first time, allows the app on the consent page.</summary>
    public async Task SignInAsync(IPage page, TestUser user, bool consent = true)
    {
        await page.GotoAsync(Url("/signin"));
        await page.GetByLabel("User name").FillAsync(user.UserName);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        if (consent)
        {
            await page.GetByRole(AriaRole.Heading, new() { Name = "Allow Blog web?" }).WaitForAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        }

        await page.GetByText("Signed in as").WaitForAsync();
        Assert.StartsWith(Address, page.Url);
    }

    /// <summary>The id of the post whose page the browser shows (/posts/{id}).</summary>
    public static Guid PostIdOf(IPage page) => Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1]);
}
