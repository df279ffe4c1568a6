using Blog.UserService.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Infrastructure;

/// <summary>Users, roles (ASP.NET Core Identity) and OpenIddict's applications, scopes, authorizations and tokens.</summary>
public sealed class UsersDbContext(DbContextOptions<UsersDbContext> options) : IdentityDbContext<BlogUser, IdentityRole, string>(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<BlogUser>().Property(user => user.DisplayName).HasMaxLength(UserAccounts.MaxDisplayNameLength).IsRequired();
    }
}
