using Blog.ServiceDefaults.RateLimiting;
using Blog.ServiceDefaults.Revocation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OpenIddict.Validation;
using OpenIddict.Validation.SystemNetHttp;

namespace Blog.PostService.Authentication;

internal static class TokenValidationExtensions
{
    /// <summary>
    /// Access tokens are validated only by introspection at the user service (no key of the user service exists here),
    /// through OpenIddict, with results cached in process and in Redis behind <see cref="CachedTokenAuthenticationHandler"/>.
    /// </summary>
    public static void AddTokenValidation(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TokenValidationOptions>()
            .Bind(builder.Configuration.GetSection(TokenValidationOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenValidationOptions>, TokenValidationOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IntrospectionTelemetry>();
        services.AddSingleton<RedisFallbackReporter>();
        services.AddSingleton<CacheEntrySeal>();
        services.AddSingleton<RedisTokenStore>();
        services.AddSingleton<TokenMemoryLevel>();
        services.AddSingleton<RevocationChannel>();
        services.AddSingleton<RevocationLedger>();
        services.AddSingleton<IntrospectionCache>();
        services.AddSingleton<RevocationTelemetry>();
        services.AddHostedService<RevocationSubscriber>();
        services.AddSingleton<SingleFlight<TokenValidationOutcome>>();
        services.AddTransient<IntrospectionHttpHandler>();
        services.AddTransient<BackChannelHandler>();
        services.AddOptions<RejectedTokenLimitOptions>()
            .Bind(builder.Configuration.GetSection(RejectedTokenLimitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<SharedRateLimiter>();
        services.AddSingleton<UnknownTokenGuard>();

        services.AddOpenIddict()
            .AddValidation(validation =>
            {
                validation.UseIntrospection();
                validation.UseSystemNetHttp()
                    // Our IntrospectionHttpHandler is the one retry layer (see ConfigureIntrospectionHttpClient).
                    .Configure(http => http.HttpResiliencePipeline = null);
                validation.UseAspNetCore()
                    // The Authorization header only: what the cached front reads is all OpenIddict reads.
                    .DisableAccessTokenExtractionFromBodyForm()
                    .DisableAccessTokenExtractionFromQueryString();
                validation.AddEventHandler(LookupCachedIntrospection.Descriptor);
                validation.AddEventHandler(StoreIntrospectionResult.Descriptor);
                validation.AddEventHandler(ServiceUnavailableChallengeHandler.Descriptor);
            });

        // Issuer, audience and client credentials come from the validated options, so a missing setting fails start-up
        // with the option's name rather than inside OpenIddict.
        services.AddOptions<OpenIddictValidationOptions>()
            .Configure<IOptions<TokenValidationOptions>>((validation, settings) =>
            {
                validation.Issuer = settings.Value.Issuer;
                // Discovery over the back channel; the endpoints it names (public URLs) are redirected there too.
                validation.ConfigurationEndpoint = new Uri(settings.Value.BackChannel, ".well-known/openid-configuration");
                validation.ClientId = settings.Value.ClientId;
                validation.ClientSecret = settings.Value.ClientSecret;
                validation.Audiences.Add(settings.Value.Audience);
            });

        services.AddSingleton<IPostConfigureOptions<HttpClientFactoryOptions>, IntrospectionHttpClientConfiguration>();

        services.AddAuthentication(CachedTokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CachedTokenAuthenticationHandler>(CachedTokenAuthenticationHandler.SchemeName, configureOptions: null);
    }
}

/// <summary>
/// ServiceDefaults give every HttpClient the standard resilience handler, OpenIddict's too, and OpenIddict would add
/// its own retries: nested, they turn an unreachable user service into ~30 s per request. For OpenIddict's clients
/// every resilience handler is removed and <see cref="IntrospectionHttpHandler"/> (short timeouts, one retry) is put
/// outermost, so each attempt still goes through service discovery.
/// </summary>
internal sealed class IntrospectionHttpClientConfiguration : IPostConfigureOptions<HttpClientFactoryOptions>
{
    private static readonly string ClientNamePrefix = typeof(OpenIddictValidationSystemNetHttpOptions).Assembly.GetName().Name!;

    public void PostConfigure(string? name, HttpClientFactoryOptions options)
    {
        if (name is null || !name.StartsWith(ClientNamePrefix, StringComparison.Ordinal))
        {
            return;
        }

        options.HttpMessageHandlerBuilderActions.Add(builder =>
        {
            for (var index = builder.AdditionalHandlers.Count - 1; index >= 0; index--)
            {
                if (builder.AdditionalHandlers[index] is ResilienceHandler)
                {
                    builder.AdditionalHandlers.RemoveAt(index);
                }
            }

            builder.AdditionalHandlers.Insert(0, builder.Services.GetRequiredService<IntrospectionHttpHandler>());
            // Outermost, so every attempt's address is already the back channel when service discovery resolves it.
            builder.AdditionalHandlers.Insert(0, builder.Services.GetRequiredService<BackChannelHandler>());
        });
    }
}
