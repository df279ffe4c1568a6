using System.Reflection;
using Microsoft.AspNetCore.Identity;

namespace Blog.UserService.Users;

/// <summary>
/// The password rule of ASVS V6.2.1 (and NIST SP 800-63B 3.1.1.2), the only one Identity applies here (its default
/// composition validator is replaced): at least <see cref="MinLength"/> characters, any characters, no composition
/// rules; not containing the user name; not one of the most common passwords. Identity runs it wherever a password is
/// set: registration, password change, the bootstrap administrator.
/// </summary>
public sealed class PasswordPolicy : IPasswordValidator<BlogUser>
{
    public const int MinLength = 12;

    /// <summary>Shorter user names are left out of the check: "al" inside a password tells nothing, and refusing it would refuse half of all passwords.</summary>
    public const int MinUserNameLengthToCheck = 3;

    private static readonly Lazy<HashSet<string>> CommonPasswords = new(LoadCommonPasswords);

    public static int CommonPasswordCount => CommonPasswords.Value.Count;

    public Task<IdentityResult> ValidateAsync(UserManager<BlogUser> manager, BlogUser user, string? password)
    {
        var errors = new List<IdentityError>();
        password ??= "";
        if (password.Length < MinLength)
        {
            errors.Add(new IdentityError { Code = "PasswordTooShort", Description = $"The password must be at least {MinLength} characters." });
        }

        if (user.UserName is { Length: >= MinUserNameLengthToCheck } userName && password.Contains(userName, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new IdentityError { Code = "PasswordContainsUserName", Description = "The password must not contain the user name." });
        }

        if (CommonPasswords.Value.Contains(password))
        {
            errors.Add(new IdentityError { Code = "PasswordTooCommon", Description = "This password is one of the most common passwords; choose another." });
        }

        return Task.FromResult(errors.Count == 0 ? IdentityResult.Success : IdentityResult.Failed([.. errors]));
    }

    /// <summary>The list shipped with the service (an embedded resource), one password a line, '#' starts a comment.</summary>
    private static HashSet<string> LoadCommonPasswords()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Blog.UserService.Users.common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is not embedded in the user service.");
        using var reader = new StreamReader(stream);
        var passwords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                passwords.Add(line);
            }
        }

        return passwords;
    }
}
