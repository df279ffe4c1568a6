using Microsoft.AspNetCore.Identity;

namespace Blog.UserService.Users;

/// <summary>A Blog account. The user service is its only owner; other services know it by id (the token's sub).</summary>
public sealed class BlogUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// The name others see (posts, the user directory, the token's <c>name</c>). The user name is the login name and is
    /// shown only to its owner and to administrators: public, it would be half of what guessing a password needs.
    /// </summary>
    public string DisplayName { get; set; } = "";
}
