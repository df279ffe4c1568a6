using System.ComponentModel.DataAnnotations;
using Blog.ServiceDefaults;
using Blog.ServiceDefaults.OAuth;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// How the post service trusts the user service's access tokens: introspection only, results cached. Bound from the
/// "Authentication" section (the AppHost supplies Issuer and ClientSecret) and validated at start-up.
/// </summary>
public sealed class TokenValidationOptions
{
    public const string SectionName = "Authentication";

    /// <summary>The issuer both sides pin: the user service's public URL, which tokens and its discovery document name.</summary>
    [Required]
    public Uri? Issuer { get; set; }

    /// <summary>
    /// Where this service reaches the user service (discovery, introspection): its service-discovery name, so the public
    /// URL in <see cref="Issuer"/> need not be reachable from here.
    /// </summary>
    [Required]
    public Uri BackChannel { get; set; } = new("http://" + BlogServiceNames.UserService + "/");

    [Required]
    public string ClientId { get; set; } = BlogClients.PostService;

    /// <summary>The post service's client secret at the user service, for introspection only (an Aspire secret parameter, never in source).</summary>
    [Required]
    public string? ClientSecret { get; set; }

    /// <summary>The client that reads the user directory (client credentials, users.read): not the introspection client.</summary>
    [Required]
    public string DirectoryClientId { get; set; } = BlogClients.PostServiceDirectory;

    /// <summary>Its secret (an Aspire secret parameter of its own).</summary>
    [Required]
    public string? DirectoryClientSecret { get; set; }

    /// <summary>
    /// The key that seals every entry written to Redis (HMAC-SHA-256), so that an entry this service did not write is
    /// refused (an Aspire secret parameter only the post service gets, never in source nor in Redis).
    /// </summary>
    [Required]
    [MinLength(32)]
    public string? CacheEntryKey { get; set; }

    /// <summary>Tokens must name this audience; the user service only discloses claims to an audience.</summary>
    [Required]
    public string Audience { get; set; } = BlogResources.PostService;

    /// <summary>Upper bound of a cached introspection result's life (also bounds how long a revoked token lingers).</summary>
    public TimeSpan CacheMaxLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Prefix of the Redis keys, so services sharing a Redis never read each other's entries.</summary>
    [Required]
    public string CacheKeyPrefix { get; set; } = "blog:postservice:introspection:";

    /// <summary>
    /// Whether introspection results are cached at all. Off, every request with a token is introspected (no cache
    /// level, no coalescing): what the cache buys is then measurable (see docs/benchmarks.md). Keep it on in production.
    /// </summary>
    public bool CacheEnabled { get; set; } = true;

    /// <summary>
    /// Whether the in-process level is read. Off, every request with a token reads Redis (still cached, shared by the
    /// replicas): the benchmark's "Redis hit" variant. Inactive tokens are still remembered in process either way.
    /// </summary>
    public bool MemoryCacheEnabled { get; set; } = true;

    /// <summary>Bound of the in-process level in front of Redis (entries).</summary>
    [Range(1, 10_000_000)]
    public int MemoryCacheSize { get; set; } = 100_000;

    /// <summary>How long an inactive or invalid token is remembered in process (never in Redis).</summary>
    public TimeSpan NegativeCacheLifetime { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1, 1_000_000)]
    public int NegativeCacheSize { get; set; } = 10_000;

    /// <summary>Redis calls on the request path give up after this and fall back to introspection.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often each instance probes its revocation channel (a ping on the subscription's own connection, bounded by
    /// <see cref="RevocationSilenceLimit"/>): a hung Redis keeps the connection open and answers nothing.
    /// </summary>
    public TimeSpan RevocationProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The channel is down once nothing was heard on it (event or probe answer) for this long, or its connection broke.</summary>
    public TimeSpan RevocationSilenceLimit { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// While the channel is down, a cached entry is served only until this long after the later of its introspection
    /// and the last time the channel was heard, then introspected again: a revocation made meanwhile is refused
    /// within this bound. At least <see cref="RevocationSilenceLimit"/>, which it must cover.
    /// </summary>
    public TimeSpan DegradedStalenessBound { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>One introspection (or discovery) attempt.</summary>
    public TimeSpan IntrospectionAttemptTimeout { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>Retries after a transient failure; the only retry layer on OpenIddict's HTTP client.</summary>
    [Range(0, 3)]
    public int IntrospectionRetries { get; set; } = 1;

    /// <summary>All attempts together: past this an uncached token gets a 503 instead of waiting longer.</summary>
    public TimeSpan IntrospectionTotalTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>The Retry-After a client gets with a 503 while the user service cannot be reached.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The checks data annotations cannot express: positive durations and a total that allows one attempt.</summary>
internal sealed class TokenValidationOptionsValidator : IValidateOptions<TokenValidationOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenValidationOptions options)
    {
        var failures = new List<string>();
        if (options.Issuer is { IsAbsoluteUri: false })
        {
            failures.Add($"{nameof(options.Issuer)} must be an absolute URI.");
        }

        if (options.BackChannel is { IsAbsoluteUri: false })
        {
            failures.Add($"{nameof(options.BackChannel)} must be an absolute URI.");
        }

        RequirePositive(options.CacheMaxLifetime, nameof(options.CacheMaxLifetime));
        RequirePositive(options.NegativeCacheLifetime, nameof(options.NegativeCacheLifetime));
        RequirePositive(options.RedisTimeout, nameof(options.RedisTimeout));
        RequirePositive(options.IntrospectionAttemptTimeout, nameof(options.IntrospectionAttemptTimeout));
        RequirePositive(options.IntrospectionTotalTimeout, nameof(options.IntrospectionTotalTimeout));
        RequirePositive(options.RetryAfter, nameof(options.RetryAfter));
        RequirePositive(options.RevocationProbeInterval, nameof(options.RevocationProbeInterval));
        if (options.RevocationSilenceLimit <= options.RevocationProbeInterval)
        {
            failures.Add($"{nameof(options.RevocationSilenceLimit)} must be longer than {nameof(options.RevocationProbeInterval)}.");
        }

        // A revocation made just after the channel was last heard is noticed only once the silence limit has passed.
        if (options.DegradedStalenessBound < options.RevocationSilenceLimit)
        {
            failures.Add($"{nameof(options.DegradedStalenessBound)} must be at least {nameof(options.RevocationSilenceLimit)}.");
        }
        if (options.IntrospectionTotalTimeout < options.IntrospectionAttemptTimeout)
        {
            failures.Add($"{nameof(options.IntrospectionTotalTimeout)} must be at least {nameof(options.IntrospectionAttemptTimeout)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void RequirePositive(TimeSpan value, string property)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{property} must be positive.");
            }
        }
    }
}
