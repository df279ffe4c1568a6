using Blog.UserService.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Infrastructure;

/// <summary>
/// Users, roles (ASP.NET Core Identity), OpenIddict's applications, scopes, authorizations and tokens, the
/// revocations still to be delivered to the resource servers, and the data-protection keys every replica shares.
/// </summary>
public sealed class UsersDbContext(DbContextOptions<UsersDbContext> options)
    : IdentityDbContext<BlogUser, IdentityRole, string>(options), IDataProtectionKeyContext
{
    public DbSet<RevocationOutboxMessage> RevocationOutbox => Set<RevocationOutboxMessage>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<BlogUser>().Property(user => user.DisplayName).HasMaxLength(UserAccounts.MaxDisplayNameLength).IsRequired();
        builder.Entity<RevocationOutboxMessage>(message =>
        {
            message.ToTable("RevocationOutbox");
            message.Property(m => m.MarkerKey).HasMaxLength(RevocationOutboxMessage.MarkerKeyMaxLength);
            message.HasIndex(m => m.NextAttemptAt);
        });
    }
}
