using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>Registration rules, enumeration, lockout and rate limiting.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class AccountAbuseTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Duplicate_registration_is_a_conflict()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);

        using var sameName = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = user.UserName, displayName = IdentityClient.NewDisplayName(), email = "other@example.test", password = IdentityClient.NewPassword() }, timeout.Token);
        using var sameEmail = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = IdentityClient.NewUserName(), displayName = IdentityClient.NewDisplayName(), email = $"{user.UserName}@example.test", password = IdentityClient.NewPassword() }, timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, sameName.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, sameEmail.StatusCode);
        Assert.Equal("application/problem+json", sameName.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Invalid_registration_names_each_bad_field()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        using var response = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = "  ", email = "not-an-email", password = "short" }, timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("userName", out _));
        Assert.True(errors.TryGetProperty("email", out _));

        using var weak = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = IdentityClient.NewUserName(), displayName = IdentityClient.NewDisplayName(), email = "weak@example.test", password = "short" }, timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.True((await weak.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_answer_and_repeated_failures_lock_the_account()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);

        var unknown = await _identity.PasswordGrantAsync(IdentityClient.NewUserName(), "Wrong-1!", timeout.Token);
        var wrong = await _identity.PasswordGrantAsync(user.UserName, "Wrong-1!", timeout.Token);
        Assert.Equal(unknown.Status, wrong.Status);
        Assert.Equal(unknown.Body.ToString(), wrong.Body.ToString());
        Assert.Equal("invalid_grant", wrong.Error);

        for (var attempt = 2; attempt <= 5; attempt++)
        {
            Assert.Equal("invalid_grant", (await _identity.PasswordGrantAsync(user.UserName, "Wrong-1!", timeout.Token)).Error);
        }

        // Locked: even the right password is refused now, with the very same answer.
        var locked = await _identity.PasswordGrantAsync(user.UserName, user.Password, timeout.Token);
        Assert.Equal(unknown.Status, locked.Status);
        Assert.Equal(unknown.Body.ToString(), locked.Body.ToString());
    }

    [Fact]
    public async Task Token_endpoint_is_rate_limited_per_client_address()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var target = new Uri(await fixture.GetDirectAddressAsync("userservice"), "/connect/token");
        // Loopback is a whole /8 on Linux: a client of its own address, so the other tests (127.0.0.1) are not limited.
        using var flooder = LoopbackClient.From("127.0.0.77");
        using var bystander = LoopbackClient.From("127.0.0.78");

        HttpResponseMessage? limited = null;
        for (var request = 0; request < 1_000 && limited is null; request++)
        {
            var response = await flooder.PostAsync(target, JunkTokenRequest(), timeout.Token);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.True(int.Parse(limited.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        limited.Dispose();
        using var other = await bystander.PostAsync(target, JunkTokenRequest(), timeout.Token);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
    }

    private static FormUrlEncodedContent JunkTokenRequest()
        => new(new Dictionary<string, string> { ["grant_type"] = "password", ["client_id"] = "blog-client" });
}
