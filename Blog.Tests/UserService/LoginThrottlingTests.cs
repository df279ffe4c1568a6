using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Xunit.Abstractions;

namespace Blog.Tests.UserService;

/// <summary>
/// Password guessing is slowed per (account, source address) and never locks the owner out; a wrong current password
/// at the password change counts the same; unknown, wrong and locked all cost one password hash.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class LoginThrottlingTests(BlogAppFixture fixture, ITestOutputHelper output)
{
    private const string WrongPassword = "Wrong-password-1!";
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Guessing_throttles_the_source_without_locking_the_owner_out_or_revoking_the_owners_tokens()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var owner = await _identity.RegisterAsync(ct);
        var ownerLogin = await _identity.PasswordGrantAsync(owner.UserName, owner.Password, ct);
        Assert.Equal(HttpStatusCode.OK, ownerLogin.Status);
        using var attacker = await DirectClientAsync("127.0.0.81");
        var unknownName = IdentityClient.NewUserName();

        // Six wrong passwords, against the account and against a name nobody has: the answers are the same, step by step.
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var known = await PasswordGrantAsync(attacker, owner.UserName, WrongPassword, ct);
            var unknown = await PasswordGrantAsync(attacker, unknownName, WrongPassword, ct);
            Assert.Equal("invalid_grant", known.Error);
            Assert.Equal(unknown.Status, known.Status);
            Assert.Equal(unknown.Body.ToString(), known.Body.ToString());
        }

        // The guessing source is now slowed down: even the right password is refused from there, as for an unknown name.
        var throttled = await PasswordGrantAsync(attacker, owner.UserName, owner.Password, ct);
        var throttledUnknown = await PasswordGrantAsync(attacker, unknownName, owner.Password, ct);
        Assert.Equal("invalid_grant", throttled.Error);
        Assert.Equal(throttledUnknown.Body.ToString(), throttled.Body.ToString());

        // The owner, from elsewhere, signs in and refreshes as before.
        var again = await _identity.PasswordGrantAsync(owner.UserName, owner.Password, ct);
        Assert.True(again.Status == HttpStatusCode.OK, $"the owner was locked out: {again.Body}");
        var refreshed = await _identity.RefreshAsync(ownerLogin.RefreshToken!, ct);
        Assert.True(refreshed.Status == HttpStatusCode.OK, $"the owner's refresh token stopped working: {refreshed.Body}");
    }

    [Fact]
    public async Task A_flood_against_one_account_leaves_another_accounts_login_working()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        var target = await _identity.RegisterAsync(ct);
        var bystander = await _identity.RegisterAsync(ct);
        using var attacker = await DirectClientAsync("127.0.0.82");

        for (var attempt = 0; attempt < 40; attempt++)
        {
            await PasswordGrantAsync(attacker, target.UserName, WrongPassword, ct);
        }

        var other = await _identity.PasswordGrantAsync(bystander.UserName, bystander.Password, ct);
        Assert.True(other.Status == HttpStatusCode.OK, $"another account's login failed: {other.Body}");
        var owner = await _identity.PasswordGrantAsync(target.UserName, target.Password, ct);
        Assert.True(owner.Status == HttpStatusCode.OK, $"the flooded account's owner was locked out: {owner.Body}");
    }

    [Fact]
    public async Task A_wrong_current_password_counts_as_a_failed_attempt_and_is_throttled()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var user = await _identity.RegisterAsync(ct);
        var accountToken = await _identity.GetAccountTokenAsync(user, ct);
        using var guesser = await DirectClientAsync("127.0.0.83");

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 8; attempt++)
        {
            using var wrong = await ChangePasswordAsync(guesser, accountToken, WrongPassword, ct);
            statuses.Add(wrong.StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, statuses[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        // Refused while throttled, the right password included; and the token endpoint counts the same failures.
        using var right = await ChangePasswordAsync(guesser, accountToken, user.Password, ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal("application/problem+json", right.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(right.Headers.RetryAfter);
        var login = await PasswordGrantAsync(guesser, user.UserName, user.Password, ct);
        Assert.NotEqual(HttpStatusCode.OK, login.Status);
    }

    [Fact]
    public async Task Unknown_user_and_locked_account_cost_the_same_hashing_time_as_a_wrong_password()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        const int Tries = 20;
        // Wrong passwords spread over four accounts (five each), so that no lockout or throttle decides what is timed.
        var wrongTargets = new List<TestUser>();
        for (var index = 0; index < 4; index++)
        {
            wrongTargets.Add(await _identity.RegisterAsync(ct));
        }

        var locked = await _identity.RegisterAsync(ct);
        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), ct);
        using (var lockRequest = IdentityClient.Authorized(HttpMethod.Post, $"/api/admin/users/{locked.Id}/lock", adminToken))
        using (var lockResponse = await _identity.UserService.SendAsync(lockRequest, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, lockResponse.StatusCode);
        }

        using var client = await DirectClientAsync("127.0.0.84");
        await PasswordGrantAsync(client, IdentityClient.NewUserName(), WrongPassword, ct); // warm-up, not timed
        var wrong = new List<double>();
        var unknown = new List<double>();
        var lockedTimes = new List<double>();
        for (var attempt = 0; attempt < Tries; attempt++)
        {
            // Interleaved, so that the three kinds share the machine's load alike.
            wrong.Add(await TimeAsync(client, wrongTargets[attempt % wrongTargets.Count].UserName, ct));
            unknown.Add(await TimeAsync(client, IdentityClient.NewUserName(), ct));
            lockedTimes.Add(await TimeAsync(client, locked.UserName, ct));
        }

        var (wrongMedian, unknownMedian, lockedMedian) = (Median(wrong), Median(unknown), Median(lockedTimes));
        var summary = $"medians: wrong password {wrongMedian:F1} ms, unknown user {unknownMedian:F1} ms, locked account {lockedMedian:F1} ms";
        output.WriteLine(summary);
        Assert.True(unknownMedian > wrongMedian / 2, summary);
        Assert.True(lockedMedian > wrongMedian / 2, summary);
    }

    private async Task<double> TimeAsync(HttpClient client, string userName, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await PasswordGrantAsync(client, userName, WrongPassword, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Assert.Equal("invalid_grant", answer.Error);
        return elapsed;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>A client of its own loopback address, on the user service's own address: its own partition.</summary>
    private async Task<HttpClient> DirectClientAsync(string localAddress)
    {
        var client = LoopbackClient.From(localAddress);
        client.BaseAddress = await fixture.GetDirectAddressAsync(BlogResources.UserService);
        return client;
    }

    private static async Task<TokenResponse> PasswordGrantAsync(HttpClient client, string userName, string password, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "blog-client",
            ["username"] = userName,
            ["password"] = password,
            ["scope"] = IdentityClient.PeopleScopes,
        }), cancellationToken);
        return new TokenResponse(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken));
    }

    private static async Task<HttpResponseMessage> ChangePasswordAsync(HttpClient client, string accountToken, string currentPassword, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/account/password")
        {
            Content = JsonContent.Create(new { currentPassword, newPassword = IdentityClient.NewPassword() }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accountToken);
        return await client.SendAsync(request, cancellationToken);
    }
}
