using Blog.ServiceDefaults.OAuth;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.SignIn;

/// <summary>What each scope lets a client do, in the words the consent page shows a person.</summary>
internal static class ScopeDescriptions
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        [Scopes.OpenId] = "Know who you are on Blog (your account's identifier).",
        [Scopes.Profile] = "See your display name and user name.",
        [Scopes.Email] = "See your email address.",
        [Scopes.Roles] = "See your roles on Blog (author, admin).",
        [Scopes.OfflineAccess] = "Stay signed in when you are not using it, until you sign out or revoke its access.",
        [BlogScopes.Posts] = "Write, edit and delete blog posts in your name.",
        [BlogScopes.Account] = "See and manage your Blog account: change your password, sign you out everywhere, and, if you are an administrator, manage users.",
        [BlogScopes.UsersRead] = "Read the public profiles of Blog's users.",
    };

    public static string Describe(string scope)
        => Descriptions.TryGetValue(scope, out var description) ? description : $"Use the \"{scope}\" permission.";
}
