using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore.Models;

namespace Blog.UserService.Authorization;

/// <summary>
/// The registered clients as last read from the database, remembered for
/// <see cref="AuthorizationServerOptions.ClientLookupMemory"/>: every introspection, grant and authorization request
/// names its client, and OpenIddict's own entity cache lives one request, so without this each request reads the same
/// row again (a profile of the introspection endpoint under load put that read at ~29% of the user service's CPU).
/// A change to a client is seen within that memory on every instance, and at once on the instance that made it, as
/// Duende IdentityServer's client store cache (opt-in there, 15 minutes by default) or Keycloak's client cache.
/// </summary>
/// <remarks>
/// Each hit is a new, detached copy of the row: no two requests (or database contexts) share an entity, and an update
/// of a copy attaches it as OpenIddict's store attaches any detached application. Navigations are not copied.
/// </remarks>
public sealed class RecentClients(TimeProvider timeProvider, IOptions<AuthorizationServerOptions> options)
{
    /// <summary>At most this many clients are remembered; beyond it, lookups simply read the database.</summary>
    public const int Capacity = 64;

    private readonly ShortMemory<OpenIddictEntityFrameworkCoreApplication> _clients = new(timeProvider, () => options.Value.ClientLookupMemory, Capacity);

    /// <summary>A copy of the client read less than the memory ago, or null.</summary>
    public OpenIddictEntityFrameworkCoreApplication? Find(string clientId)
        => _clients.TryGet(clientId, out var client) ? Copy(client) : null;

    /// <summary>Remembers a copy of <paramref name="client"/> as just read from the database.</summary>
    public void Remember(OpenIddictEntityFrameworkCoreApplication client)
    {
        if (client.ClientId is { } clientId)
        {
            _clients.Set(clientId, Copy(client));
        }
    }

    /// <summary>Forgets the client (it is being changed or deleted here).</summary>
    public void Forget(string? clientId)
    {
        if (clientId is not null)
        {
            _clients.Remove(clientId);
        }
    }

    private static OpenIddictEntityFrameworkCoreApplication Copy(OpenIddictEntityFrameworkCoreApplication client) => new()
    {
        Id = client.Id,
        ApplicationType = client.ApplicationType,
        ClientId = client.ClientId,
        ClientSecret = client.ClientSecret,
        ClientType = client.ClientType,
        ConcurrencyToken = client.ConcurrencyToken,
        ConsentType = client.ConsentType,
        DisplayName = client.DisplayName,
        DisplayNames = client.DisplayNames,
        JsonWebKeySet = client.JsonWebKeySet,
        Permissions = client.Permissions,
        PostLogoutRedirectUris = client.PostLogoutRedirectUris,
        Properties = client.Properties,
        RedirectUris = client.RedirectUris,
        Requirements = client.Requirements,
        Settings = client.Settings,
    };

}
