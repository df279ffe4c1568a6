using Microsoft.AspNetCore.Identity;

namespace Blog.UserService.Users;

/// <summary>A Blog account. The user service is its only owner; other services know it by id (the token's sub).</summary>
public sealed class BlogUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
