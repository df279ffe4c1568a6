using Blog.ServiceDefaults.RateLimiting;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Identity;

namespace Blog.UserService.Authorization;

/// <summary>What checking a user name and password from a source gave: the user, or a refusal (and how long to wait).</summary>
public readonly record struct PasswordCheckResult(BlogUser? User, TimeSpan? RetryAfter)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// The one password check of every way to sign in (the token endpoint's password grant, the sign-in page). Unknown
/// user, wrong password, locked account and throttled source each verify one password hash (a dummy for an unknown
/// user) before answering, so the time taken tells nothing; the answer is the same for all but a throttled source,
/// whose refusal depends only on its own failures, never on whether the account exists. A failure counts against
/// (account, source) only: guessing never locks the account nor touches its owner's tokens.
/// </summary>
public sealed partial class PasswordCheck(
    UserManager<BlogUser> users,
    SignInManager<BlogUser> signIn,
    LoginThrottle throttle,
    ILogger<PasswordCheck> logger)
{
    public async Task<PasswordCheckResult> CheckAsync(HttpContext context, string userName, string password)
    {
        var source = ClientAddresses.PartitionOf(context);
        var account = users.NormalizeName(userName) ?? "";
        var wait = await throttle.GetWaitAsync(account, source);
        var user = await users.FindByNameAsync(userName);
        bool passwordMatches;
        if (user is null)
        {
            users.PasswordHasher.VerifyHashedPassword(new BlogUser(), DummyPasswordHash.Value, password);
            passwordMatches = false;
        }
        else
        {
            // Hashes for a locked account too (Identity's CheckPasswordSignInAsync returns before hashing for it).
            passwordMatches = await users.CheckPasswordAsync(user, password);
        }

        if (wait is { } retryAfter)
        {
            LogThrottled();
            return new(null, retryAfter);
        }

        if (user is null || !passwordMatches)
        {
            await throttle.RecordFailureAsync(account, source);
            return default;
        }

        if (!await CanSignInAsync(user))
        {
            LogLockedOut(user.Id);
            return default;
        }

        await throttle.ResetAsync(account, source);
        return new(user, null);
    }

    /// <summary>Whether the account may sign in now (not locked, allowed by Identity): checked again at every later use.</summary>
    public async Task<bool> CanSignInAsync(BlogUser user)
        => !await users.IsLockedOutAsync(user) && await signIn.CanSignInAsync(user);

    private static readonly Lazy<string> DummyPasswordHash = new(() =>
        new PasswordHasher<BlogUser>().HashPassword(new BlogUser(), Guid.NewGuid().ToString()));

    [LoggerMessage(LogLevel.Information, "Sign-in refused: too many failures for the user name from the client's address")]
    private partial void LogThrottled();

    [LoggerMessage(LogLevel.Warning, "Sign-in refused: account {UserId} is locked out")]
    private partial void LogLockedOut(string userId);
}
