using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Blog.UserService.Authorization;

/// <summary>
/// OpenIddict's application manager with the PBKDF2 check of a client secret remembered briefly
/// (<see cref="VerifiedClientSecrets"/>). Everything else, including finding the client, its type and its permissions
/// on every request, is OpenIddict's own.
/// </summary>
public sealed class ClientSecretCheckingApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    VerifiedClientSecrets verifiedSecrets)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
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
