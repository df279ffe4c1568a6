using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.OAuth;
using Blog.UserService.Infrastructure;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

/// <summary>
/// Idempotently brings the database in line with configuration at every start: roles, scopes (and the resources
/// they grant), the two client applications; and on a first install, the bootstrap administrator. Requests wait for it
/// (503 until seeded, see DatabaseReadinessExtensions), so nobody can register the administrator's name before.
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
            ClientId = BlogClients.Cli,
            ClientType = ClientTypes.Public,
            ApplicationType = ApplicationTypes.Native,
            ConsentType = ConsentTypes.Explicit,
            DisplayName = "Blog command line",
            RedirectUris = { new Uri(BlogClients.CliRedirectUri) },
            PostLogoutRedirectUris = { new Uri(BlogClients.CliPostLogoutRedirectUri) },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.Endpoints.EndSession,
                Permissions.Endpoints.DeviceAuthorization,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.DeviceCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Prefixes.Scope + BlogScopes.Posts,
                Permissions.Prefixes.Scope + BlogScopes.Account,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        }, cancellationToken);

        var apiReference = new OpenIddictApplicationDescriptor
        {
            ClientId = BlogClients.ApiReference,
            ClientType = ClientTypes.Public,
            ApplicationType = ApplicationTypes.Web,
            ConsentType = ConsentTypes.Explicit,
            DisplayName = "Blog API reference",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Roles,
                Permissions.Prefixes.Scope + BlogScopes.Posts,
                Permissions.Prefixes.Scope + BlogScopes.Account,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var redirectUri in options.Value.ApiReferenceRedirectUris)
        {
            apiReference.RedirectUris.Add(new Uri(redirectUri, UriKind.Absolute));
        }

        await UpsertApplicationAsync(apiReference, cancellationToken);

        if (options.Value is { WebClientSecret.Length: > 0, WebBaseUrl: { } webBaseUrl })
        {
            await UpsertApplicationAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = BlogClients.Web,
                ClientSecret = options.Value.WebClientSecret,
                ClientType = ClientTypes.Confidential,
                ApplicationType = ApplicationTypes.Web,
                ConsentType = ConsentTypes.Explicit,
                DisplayName = "Blog web",
                RedirectUris = { new Uri(webBaseUrl, BlogClients.WebRedirectPath) },
                PostLogoutRedirectUris = { new Uri(webBaseUrl, BlogClients.WebPostLogoutRedirectPath) },
                Permissions =
                {
                    Permissions.Endpoints.Authorization,
                    Permissions.Endpoints.Token,
                    Permissions.Endpoints.Revocation,
                    Permissions.Endpoints.EndSession,
                    Permissions.GrantTypes.AuthorizationCode,
                    Permissions.GrantTypes.RefreshToken,
                    Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Profile,
                    Permissions.Prefixes.Scope + BlogScopes.Posts,
                    Permissions.Prefixes.Scope + BlogScopes.Account,
                },
                Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            }, cancellationToken);
        }

        await UpsertApplicationAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = BlogClients.PostService,
            ClientSecret = options.Value.PostServiceClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Post service (introspection)",
            Permissions =
            {
                Permissions.Endpoints.Introspection,
            },
        }, cancellationToken);

        await UpsertApplicationAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = BlogClients.PostServiceDirectory,
            ClientSecret = options.Value.PostServiceDirectorySecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Post service (user directory)",
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + BlogScopes.UsersRead,
            },
        }, cancellationToken);

        await EnsureBootstrapAdministratorAsync();
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

    /// <summary>
    /// The bootstrap administrator, on a first install only: when no user holds the admin role. An account is never
    /// promoted because of its name (anyone may have registered it), and a later start never gives the role back to a
    /// demoted or deleted administrator: administrators are made by administrators.
    /// </summary>
    private async Task EnsureBootstrapAdministratorAsync()
    {
        var admin = options.Value.Admin;
        if ((await users.GetUsersInRoleAsync(BlogRoles.Admin)).Count > 0)
        {
            return;
        }

        if (await users.FindByNameAsync(admin.UserName) is not null)
        {
            LogAdminNameTaken(admin.UserName);
            return;
        }

        var user = new BlogUser { UserName = admin.UserName, DisplayName = admin.DisplayName, Email = admin.Email, EmailConfirmed = true };
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

    [LoggerMessage(LogLevel.Error, "No user holds the admin role, and the configured administrator name {UserName} belongs to an existing account, " +
        "which is not promoted (anyone may have registered that name). Configure an administrator name no account has " +
        "(AppHost parameter admin-username, setting AuthorizationServer:Admin:UserName) and restart, or give the role to a trusted account in the database.")]
    private partial void LogAdminNameTaken(string userName);
}
