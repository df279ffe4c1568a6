namespace Blog.AppHost.Identity;

/// <summary>
/// Secrets the post service alone holds. Generated like <see cref="IdentityParameters"/> (secret, persisted in the
/// AppHost's user secrets, or supplied as Parameters:NAME) and given to no other resource.
/// </summary>
public sealed record PostServiceSecrets(IResourceBuilder<ParameterResource> CacheEntryKey)
{
    public const string CacheEntryKeyName = "post-service-cache-key";

    public static PostServiceSecrets Add(IDistributedApplicationBuilder builder) => new(
        // Seals the token cache's Redis entries: whoever can write to Redis still cannot make one the service accepts.
        builder.AddParameter(CacheEntryKeyName, new GenerateParameterDefault { MinLength = 64, Special = false }, secret: true, persist: true));
}
