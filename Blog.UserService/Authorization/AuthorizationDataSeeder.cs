using Blog.ServiceDefaults.Database;
using Blog.UserService.Infrastructure;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

/// <summary>
/// Idempotently brings the database in line with configuration at every start: roles, scopes (and the resources
/// they grant), the two client applications, and the first administrator.
/// </summary>
internal sealed partial class AuthorizationDataSeeder(
    IOpenIddictApplicationManager applications,
    IOpenIddictScopeManager scopes,
    RoleManager<IdentityRole> roles,
    UserManager<BlogUser> users,
    IOptions<AuthorizationServerOptions> options,
    ILogger<AuthorizationDataSeeder> logger) : IDatabaseSeeder<UsersDbContext>
{
    public async Task SeedAsync(UsersDbContext context, CancellationToken cancellationToken)
    {
        foreach (var role in BlogRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                EnsureSucceeded(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        await UpsertScopeAsync(BlogScopes.Posts, "Write and manage blog posts", BlogResources.PostService, cancellationToken);
        await UpsertScopeAsync(BlogScopes.Account, "Manage one's own account (and, for admins, users)", BlogResources.UserService, cancellationToken);
        await UpsertScopeAsync(BlogScopes.UsersRead, "Read public user profiles", BlogResources.UserService, cancellationToken);

        await UpsertApplicationAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = BlogClients.BlogClient,
            ClientType = ClientTypes.Public,
            DisplayName = "Blog client",
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.Password,
                Permissions.GrantTypes.RefreshToken,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
                Permissions.Scopes.Roles,
                Permissions.Prefixes.Scope + BlogScopes.Posts,
                Permissions.Prefixes.Scope + BlogScopes.Account,
            },
        }, cancellationToken);

        await UpsertApplicationAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = BlogClients.PostService,
            ClientSecret = options.Value.PostServiceClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Post service",
            Permissions =
            {
                Permissions.Endpoints.Introspection,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + BlogScopes.UsersRead,
            },
        }, cancellationToken);

        await EnsureAdminAsync();
    }

    private async Task UpsertScopeAsync(string name, string displayName, string resource, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictScopeDescriptor { Name = name, DisplayName = displayName, Resources = { resource } };
        if (await scopes.FindByNameAsync(name, cancellationToken) is { } existing)
        {
            await scopes.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await scopes.CreateAsync(descriptor, cancellationToken);
        }
    }

    private async Task UpsertApplicationAsync(OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        // Updating replaces the permissions (a database from an earlier version gets new scopes) and re-hashes the
        // secret, so a changed parameter takes effect at the next start.
        if (await applications.FindByClientIdAsync(descriptor.ClientId!, cancellationToken) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
    }

    private async Task EnsureAdminAsync()
    {
        var admin = options.Value.Admin;
        if (await users.FindByNameAsync(admin.UserName) is { } existing)
        {
            if (!await users.IsInRoleAsync(existing, BlogRoles.Admin))
            {
                EnsureSucceeded(await users.AddToRoleAsync(existing, BlogRoles.Admin), "give the admin role");
            }

            return;
        }

        var user = new BlogUser { UserName = admin.UserName, Email = admin.Email, EmailConfirmed = true };
        EnsureSucceeded(await users.CreateAsync(user, admin.Password), "create the first admin");
        EnsureSucceeded(await users.AddToRolesAsync(user, BlogRoles.All), "give the admin its roles");
        LogAdminCreated(admin.UserName);
    }

    private static void EnsureSucceeded(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(error => error.Description))}");
        }
    }

    [LoggerMessage(LogLevel.Information, "Created the first administrator {UserName}")]
    private partial void LogAdminCreated(string userName);
}
