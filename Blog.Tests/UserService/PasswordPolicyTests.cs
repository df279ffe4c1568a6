using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>
/// The password policy of ASVS V6.2.1: at least 12 characters, no composition rules, not the user name, not one of the
/// most common passwords. Registration and password change apply the same rule.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PasswordPolicyTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Eleven_characters_are_refused_even_with_every_kind_of_character()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        var errors = await RegisterRefusedAsync("Ab1!" + RandomLetters(7), timeout.Token);

        Assert.Contains(errors, error => error.Contains("12", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Twelve_lower_case_letters_are_accepted_without_any_digit_or_symbol()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var userName = IdentityClient.NewUserName();
        var password = RandomLetters(12);

        using var response = await RegisterAsync(userName, password, timeout.Token);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal(HttpStatusCode.OK, (await _identity.PasswordGrantAsync(userName, password, timeout.Token)).Status);
    }

    [Fact]
    public async Task A_password_holding_the_user_name_in_any_case_is_refused()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var userName = IdentityClient.NewUserName();

        var errors = await RegisterRefusedAsync("Xy1!" + userName.ToUpperInvariant() + "!", timeout.Token, userName);

        Assert.Contains(errors, error => error.Contains("user name", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("qwerty123456")]
    [InlineData("QWERTY123456")]
    [InlineData("1qaz2wsx3edc")]
    public async Task A_common_password_is_refused(string password)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        var errors = await RegisterRefusedAsync(password, timeout.Token);

        Assert.Contains(errors, error => error.Contains("common", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_password_change_applies_the_same_policy()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var user = await _identity.RegisterAsync(ct);
        var token = await _identity.GetAccountTokenAsync(user, ct);

        foreach (var (weak, reason) in new[] { ("Ab1!" + RandomLetters(7), "12"), ("qwerty123456", "common"), ("Xy1!" + user.UserName.ToUpperInvariant(), "user name") })
        {
            using var response = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/password", token,
                new { currentPassword = user.Password, newPassword = weak }), ct);
            var errors = await FieldErrorsAsync(response, "newPassword", ct);
            Assert.Contains(errors, error => error.Contains(reason, StringComparison.OrdinalIgnoreCase));
        }

        // Refused changes changed nothing: the old password still works.
        Assert.Equal(HttpStatusCode.OK, (await _identity.PasswordGrantAsync(user.UserName, user.Password, ct)).Status);
    }

    [Fact]
    public async Task The_generated_administrator_password_meets_the_policy()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var admin = await _identity.GetAdminAsync();

        Assert.True(admin.Password.Length >= 12);
        Assert.DoesNotContain(admin.UserName, admin.Password, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await _identity.PasswordGrantAsync(admin.UserName, admin.Password, timeout.Token)).Status);
    }

    private Task<HttpResponseMessage> RegisterAsync(string userName, string password, CancellationToken cancellationToken)
        => _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName, displayName = IdentityClient.NewDisplayName(), email = $"{userName}@example.test", password }, cancellationToken);

    /// <summary>Registers with <paramref name="password"/>, expects a 400 naming the password field, returns its messages.</summary>
    private async Task<string[]> RegisterRefusedAsync(string password, CancellationToken cancellationToken, string? userName = null)
    {
        using var response = await RegisterAsync(userName ?? IdentityClient.NewUserName(), password, cancellationToken);
        return await FieldErrorsAsync(response, "password", cancellationToken);
    }

    private static async Task<string[]> FieldErrorsAsync(HttpResponseMessage response, string field, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}': {text}");
        return [.. messages.EnumerateArray().Select(message => message.GetString()!)];
    }

    private static string RandomLetters(int count)
        => new([.. Enumerable.Range(0, count).Select(_ => (char)('a' + Random.Shared.Next(26)))]);
}
