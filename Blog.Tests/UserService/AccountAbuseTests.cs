using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>Registration rules, enumeration and the rate limits per client address (behind a trusted proxy too).</summary>
[Collection(BlogAppCollection.Name)]
public sealed class AccountAbuseTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Duplicate_user_name_is_a_conflict_and_a_registered_email_address_is_not_revealed()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);

        using var sameName = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = user.UserName, displayName = IdentityClient.NewDisplayName(), email = "other@example.test", password = IdentityClient.NewPassword() }, timeout.Token);
        using var sameEmail = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName = IdentityClient.NewUserName(), displayName = IdentityClient.NewDisplayName(), email = $"{user.UserName}@example.test", password = IdentityClient.NewPassword() }, timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, sameName.StatusCode);
        // Email addresses are not verified, so not unique: a second account with the address is created like any other.
        Assert.Equal(HttpStatusCode.Created, sameEmail.StatusCode);
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
    public async Task Token_endpoint_is_rate_limited_per_client_address()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var target = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), "/connect/token");
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

    [Fact]
    public async Task A_trusted_proxys_forwarded_address_partitions_the_token_endpoint_limit()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var target = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), "/connect/token");
        using var proxy = LoopbackClient.From(BlogAppFixture.TrustedProxyAddress);

        var limited = await FloodUntilLimitedAsync(proxy, target, "203.0.113.10", JunkTokenRequest, timeout.Token);

        Assert.True(limited, "the forwarded client was never limited");
        using var other = await SendForwardedAsync(proxy, target, "203.0.113.11", JunkTokenRequest(), timeout.Token);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
    }

    [Fact]
    public async Task A_forwarded_header_from_an_untrusted_sender_is_ignored()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var target = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), "/connect/token");
        using var sender = LoopbackClient.From("127.0.0.67");

        var limited = await FloodUntilLimitedAsync(sender, target, "203.0.113.20", JunkTokenRequest, timeout.Token);

        Assert.True(limited, "the sender was never limited");
        // The header names another client, but the sender is no configured proxy: its own address is the partition.
        using var sameSender = await SendForwardedAsync(sender, target, "203.0.113.21", JunkTokenRequest(), timeout.Token);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameSender.StatusCode);
    }

    [Fact]
    public async Task Registration_is_rate_limited_per_client_address()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var target = new Uri(await fixture.GetDirectAddressAsync(BlogResources.UserService), "/api/account/register");
        using var proxy = LoopbackClient.From(BlogAppFixture.TrustedProxyAddress);
        // Invalid registrations (400) cost nothing but count all the same: the limit is on requests.
        static HttpContent Invalid() => JsonContent.Create(new { userName = "", email = "", password = "" });

        var limited = await FloodUntilLimitedAsync(proxy, target, "203.0.113.30", Invalid, timeout.Token);

        Assert.True(limited, "registration was never limited");
        using var other = await SendForwardedAsync(proxy, target, "203.0.113.31", Invalid(), timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    /// <summary>Sends until 429 (true, with Retry-After and ProblemDetails checked) or 1,000 requests (false).</summary>
    private static async Task<bool> FloodUntilLimitedAsync(HttpClient client, Uri target, string forwardedFor, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        for (var request = 0; request < 1_000; request++)
        {
            using var response = await SendForwardedAsync(client, target, forwardedFor, content(), cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                return true;
            }
        }

        return false;
    }

    private static async Task<HttpResponseMessage> SendForwardedAsync(HttpClient client, Uri target, string forwardedFor, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await client.SendAsync(request, cancellationToken);
    }

    private static FormUrlEncodedContent JunkTokenRequest()
        => new(new Dictionary<string, string> { ["grant_type"] = "password", ["client_id"] = "blog-client" });
}
