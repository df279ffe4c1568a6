using Microsoft.Playwright;

namespace Blog.Tests.Fixtures;

/// <summary>
/// Headless Chromium from Debian's <c>chromium</c> package (scripts/install-prerequisites.sh installs it), driven by
/// Playwright with no browser download. One browser per test class; each test takes a fresh context (no cookies).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>Where the Debian package puts it; BLOG_CHROMIUM names another.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("BLOG_CHROMIUM") ?? "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"No Chromium at {ExecutablePath}: run scripts/install-prerequisites.sh (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = ["--no-sandbox"] });
    }

    /// <summary>A fresh browser profile (no cookies) whose every wait is bounded.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync();
        context.SetDefaultTimeout((float)BlogAppFixture.DefaultTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)BlogAppFixture.DefaultTimeout.TotalMilliseconds);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
