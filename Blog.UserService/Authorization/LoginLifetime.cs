namespace Blog.UserService.Authorization;

/// <summary>
/// The absolute lifetime of a login (<see cref="AuthorizationServerOptions.LoginLifetime"/>): a refresh keeps a login
/// going, each refresh token for <see cref="AuthorizationServerOptions.RefreshTokenLifetime"/> at most, but never past
/// the login's end. As Duende IdentityServer's sliding refresh tokens within an absolute lifetime.
/// </summary>
public static class LoginLifetime
{
    /// <summary>Whether a login made at <paramref name="loggedInAt"/> may no longer be refreshed.</summary>
    public static bool HasEnded(DateTimeOffset loggedInAt, DateTimeOffset now, AuthorizationServerOptions options)
        => now >= loggedInAt + options.LoginLifetime;

    /// <summary>The lifetime of a refresh token issued now: the configured one, cut short at the login's end.</summary>
    public static TimeSpan RefreshTokenLifetime(DateTimeOffset loggedInAt, DateTimeOffset now, AuthorizationServerOptions options)
    {
        var remaining = loggedInAt + options.LoginLifetime - now;
        return remaining < options.RefreshTokenLifetime ? remaining : options.RefreshTokenLifetime;
    }
}
