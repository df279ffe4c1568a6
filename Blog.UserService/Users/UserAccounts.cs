using System.Net.Mail;
using Blog.UserService.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Blog.UserService.Users;

/// <summary>What the account and admin APIs share: the response shape and the mapping of Identity's errors.</summary>
public static class UserAccounts
{
    public const int MaxUserNameLength = 64;
    public const int MaxDisplayNameLength = 64;
    public const int MaxEmailLength = 256;
    public const int MaxPasswordLength = 256;

    public static async Task<AccountResponse> ToResponseAsync(this UserManager<BlogUser> users, BlogUser user)
        => new(user.Id, user.UserName ?? "", user.DisplayName, user.Email, [.. (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal)],
            await users.IsLockedOutAsync(user));

    /// <summary>Per-field problems of a registration that need no database: empty, too long, malformed.</summary>
    public static Dictionary<string, string[]> ValidateRegistration(RegisterRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.UserName))
        {
            errors["userName"] = ["A user name is required."];
        }
        else if (request.UserName.Length > MaxUserNameLength)
        {
            errors["userName"] = [$"The user name must be at most {MaxUserNameLength} characters."];
        }

        if (ValidateDisplayName(request.DisplayName) is { } displayNameError)
        {
            errors["displayName"] = [displayNameError];
        }

        if (string.IsNullOrWhiteSpace(request.Email))
        {
            errors["email"] = ["An email address is required."];
        }
        else if (request.Email.Length > MaxEmailLength || !MailAddress.TryCreate(request.Email, out var address) || address.Address != request.Email)
        {
            errors["email"] = ["The email address is not valid."];
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            errors["password"] = ["A password is required."];
        }
        else if (request.Password.Length > MaxPasswordLength)
        {
            errors["password"] = [$"The password must be at most {MaxPasswordLength} characters."];
        }

        return errors;
    }

    /// <summary>
    /// What is wrong with a display name, or null: required, at most <see cref="MaxDisplayNameLength"/> characters once
    /// trimmed, and no control or format characters (a line break, NUL, or an invisible bidirectional override that
    /// would make a name read as another one).
    /// </summary>
    public static string? ValidateDisplayName(string? displayName)
    {
        if (string.IsNullOrWhiteSpace(displayName))
        {
            return "A display name is required.";
        }

        var trimmed = displayName.Trim();
        if (trimmed.Length > MaxDisplayNameLength)
        {
            return $"The display name must be at most {MaxDisplayNameLength} characters.";
        }

        return trimmed.Any(character => char.IsControl(character) || char.GetUnicodeCategory(character) == System.Globalization.UnicodeCategory.Format)
            ? "The display name must not contain control or invisible formatting characters."
            : null;
    }

    /// <summary>Identity's error codes, grouped under the request field they concern.</summary>
    public static Dictionary<string, string[]> ToFieldErrors(this IdentityResult result, string passwordField = "password")
        => result.Errors
            .GroupBy(error => error.Code switch
            {
                var code when code.StartsWith("Password", StringComparison.Ordinal) => passwordField,
                var code when code.Contains("UserName", StringComparison.Ordinal) => "userName",
                var code when code.Contains("Email", StringComparison.Ordinal) => "email",
                _ => "",
            })
            .ToDictionary(group => group.Key, group => group.Select(error => error.Description).ToArray());

    public static bool IsDuplicate(this IdentityResult result)
        => result.Errors.Any(error => error.Code is nameof(IdentityErrorDescriber.DuplicateUserName) or nameof(IdentityErrorDescriber.DuplicateEmail));
}
