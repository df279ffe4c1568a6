using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Blog.UserService.Authorization;

/// <summary>
/// OpenIddict's application manager with the PBKDF2 check of a client secret remembered briefly
/// (<see cref="VerifiedClientSecrets"/>) and the client's row too (<see cref="RecentClients"/>). Everything else,
/// including checking the client's type and permissions on every request, is OpenIddict's own.
/// </summary>
public sealed class ClientSecretCheckingApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    VerifiedClientSecrets verifiedSecrets,
    RecentClients recentClients)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    public override async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        if (recentClients.Find(identifier) is { } recent)
        {
            return recent;
        }

        var application = await base.FindByClientIdAsync(identifier, cancellationToken);
        if (application is not null)
        {
            recentClients.Remember(application);
        }

        return application;
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        recentClients.Forget(application.ClientId);
        await base.UpdateAsync(application, cancellationToken);
        recentClients.Forget(application.ClientId);
    }

    public override async ValueTask DeleteAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        recentClients.Forget(application.ClientId);
        await base.DeleteAsync(application, cancellationToken);
        recentClients.Forget(application.ClientId);
    }

    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (verifiedSecrets.IsVerified(comparand, secret))
        {
            return true;
        }

        if (!await base.ValidateClientSecretAsync(secret, comparand, cancellationToken))
        {
            return false;
        }

        verifiedSecrets.Remember(comparand, secret);
        return true;
    }
}
