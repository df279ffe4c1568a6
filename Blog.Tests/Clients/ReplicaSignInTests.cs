using System.Net;
using System.Text.RegularExpressions;
using Blog.Tests.Fixtures;
using Microsoft.AspNetCore.WebUtilities;

namespace Blog.Tests.Clients;

/// <summary>
/// Behind a load balancer each request of a sign-in may reach another user-service instance: the antiforgery token,
/// the sign-in cookie and the consent form made by one must be accepted by the other (shared data-protection keys).
/// </summary>
[Collection(UserServiceReplicasCollection.Name)]
public sealed partial class ReplicaSignInTests(UserServiceReplicasFixture fixture)
{
    [Fact]
    public async Task A_sign_in_and_consent_alternating_between_two_instances_gives_a_code()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var instances = await fixture.GetReplicaAddressesAsync(BlogResources.UserService, timeout.Token);
        Assert.Equal(UserServiceReplicasFixture.Replicas, instances.Count);
        var (first, second) = (instances[0], instances[1]);
        var user = await new IdentityClient(fixture).RegisterAsync(timeout.Token);
        using var app = new NativeApp(fixture);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = BlogApplication.DefaultTimeout };
        var request = app.NewRequest();
        var authorize = new Uri(request.Url).PathAndQuery;

        // First instance: the authorization request sends the browser to the sign-in page, whose form it serves.
        using var toSignIn = await browser.GetAsync(new Uri(first, authorize), timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, toSignIn.StatusCode);
        var signInPage = await browser.GetStringAsync(new Uri(first, toSignIn.Headers.Location!.OriginalString), timeout.Token);

        // Second instance: accepts the first one's antiforgery token and signs the person in.
        using var signedIn = await browser.PostAsync(new Uri(second, "/signin"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__antiforgery"] = HiddenValue(signInPage, "__antiforgery"),
            ["returnUrl"] = HiddenValue(signInPage, "returnUrl"),
            ["username"] = user.UserName,
            ["password"] = user.Password,
        }), timeout.Token);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"sign-in on the second instance: {(int)signedIn.StatusCode} {await signedIn.Content.ReadAsStringAsync(timeout.Token)}");

        // First instance: reads the second one's cookie and asks for consent.
        var consentPage = await browser.GetStringAsync(new Uri(first, signedIn.Headers.Location!.OriginalString), timeout.Token);
        Assert.Contains("Allow Blog command line?", consentPage);

        // Second instance: takes the first one's consent form and issues the code.
        var form = HiddenFields().Matches(consentPage).ToDictionary(match => WebUtility.HtmlDecode(match.Groups["name"].Value), match => WebUtility.HtmlDecode(match.Groups["value"].Value));
        form["consent"] = "allow";
        using var allowed = await browser.PostAsync(new Uri(second, "/connect/authorize"), new FormUrlEncodedContent(form), timeout.Token);
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        var response = QueryHelpers.ParseQuery(allowed.Headers.Location!.Query);
        Assert.StartsWith(request.RedirectUri, allowed.Headers.Location.AbsoluteUri);
        Assert.False((await app.ExchangeAsync(request, response["code"].ToString(), timeout.Token)).IsError);

        // Where the keys are: in the users database, which instances on different machines share. (Instances on one
        // machine would also share the default key folder in the home directory, which is why this is checked too.)
        await using var database = new Npgsql.NpgsqlConnection(await fixture.App.GetConnectionStringAsync(BlogResources.UsersDatabase, timeout.Token));
        await database.OpenAsync(timeout.Token);
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM \"DataProtectionKeys\"", database);
        Assert.True((long)(await count.ExecuteScalarAsync(timeout.Token))! > 0, "no data-protection key in the users database");
    }

    private static string HiddenValue(string html, string name)
        => WebUtility.HtmlDecode(HiddenFields().Matches(html).Single(match => match.Groups["name"].Value == name).Groups["value"].Value);

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]*)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenFields();
}
