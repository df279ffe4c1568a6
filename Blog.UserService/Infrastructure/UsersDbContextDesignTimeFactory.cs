using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Blog.UserService.Infrastructure;

/// <summary>For 'dotnet ef migrations' only: the running service gets its connection from Aspire.</summary>
internal sealed class UsersDbContextDesignTimeFactory : IDesignTimeDbContextFactory<UsersDbContext>
{
    public UsersDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<UsersDbContext>()
            .UseNpgsql("Host=localhost;Database=usersdb")
            .UseOpenIddict()
            .Options);
}
