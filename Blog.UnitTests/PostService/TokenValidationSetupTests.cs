using Blog.PostService.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.PostService;

/// <summary>Options validated at start-up, and exactly one resilience layer on OpenIddict's HTTP client.</summary>
public sealed class TokenValidationSetupTests
{
    [Fact]
    public void Defaults_name_the_post_service_as_client_and_audience()
    {
        using var host = TokenValidationTestHost.Build(TokenValidationTestHost.ValidSettings);

        var options = host.Services.GetRequiredService<IOptions<TokenValidationOptions>>().Value;

        Assert.Equal(new Uri("http://userservice/"), options.Issuer);
        Assert.Equal("post-service", options.ClientId);
        Assert.Equal("post-service", options.Audience);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CacheMaxLifetime);
    }

    [Theory]
    [InlineData("Authentication:Issuer", null, "Issuer")]
    [InlineData("Authentication:ClientSecret", null, "ClientSecret")]
    [InlineData("Authentication:CacheMaxLifetime", "00:00:00", "CacheMaxLifetime")]
    [InlineData("Authentication:IntrospectionTotalTimeout", "00:00:01", "IntrospectionTotalTimeout")]
    [InlineData("Authentication:MemoryCacheSize", "0", "MemoryCacheSize")]
    public void Missing_or_invalid_settings_fail_validation_naming_the_setting(string key, string? value, string expected)
    {
        var settings = new Dictionary<string, string?>(TokenValidationTestHost.ValidSettings) { [key] = value };
        using var host = TokenValidationTestHost.Build(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<TokenValidationOptions>>().Value);

        Assert.Contains(expected, failure.Message);
    }

    [Fact]
    public void OpenIddict_gets_issuer_audience_and_client_from_the_options()
    {
        using var host = TokenValidationTestHost.Build(TokenValidationTestHost.ValidSettings);

        var validation = host.Services.GetRequiredService<IOptions<OpenIddict.Validation.OpenIddictValidationOptions>>().Value;

        Assert.Equal(new Uri("http://userservice/"), validation.Issuer);
        Assert.Equal("post-service", validation.ClientId);
        Assert.Contains("post-service", validation.Audiences);
        Assert.Equal(OpenIddict.Validation.OpenIddictValidationType.Introspection, validation.ValidationType);
    }

    [Fact]
    public void OpenIddicts_http_client_keeps_one_resilience_layer_even_with_the_service_defaults()
    {
        // As ServiceDefaults do: every HttpClient gets the standard resilience handler; OpenIddict may add its own.
        using var host = TokenValidationTestHost.Build(TokenValidationTestHost.ValidSettings,
            services => services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler()));
        var configurations = host.Services.GetServices<IPostConfigureOptions<HttpClientFactoryOptions>>().ToList();

        var openIddictChain = BuildChain(host.Services, configurations, "OpenIddict.Validation.SystemNetHttp:stable-id");
        var otherChain = BuildChain(host.Services, configurations, "some-other-client");

        Assert.Single(openIddictChain.OfType<IntrospectionHttpHandler>());
        Assert.Empty(openIddictChain.OfType<ResilienceHandler>());
        // The back channel's rewrite first, then the one resilience layer, each attempt then resolved by service discovery.
        Assert.IsType<BackChannelHandler>(openIddictChain[0]);
        Assert.IsType<IntrospectionHttpHandler>(openIddictChain[1]);
        Assert.Equal(2, otherChain.OfType<ResilienceHandler>().Count());
        Assert.Empty(otherChain.OfType<IntrospectionHttpHandler>());
    }

    /// <summary>
    /// Runs the post-configurations over a client whose handler list already holds two resilience handlers (the
    /// standard one and OpenIddict's), as the real factory would (OpenIddict's own configuration needs its runtime
    /// context, so it is stood in for here).
    /// </summary>
    private static List<HttpMessageHandler> BuildChain(IServiceProvider services, IEnumerable<IPostConfigureOptions<HttpClientFactoryOptions>> configurations, string name)
    {
        var options = new HttpClientFactoryOptions();
        options.HttpMessageHandlerBuilderActions.Add(builder =>
        {
            builder.AdditionalHandlers.Add(new ResilienceHandler(_ => Polly.ResiliencePipeline<HttpResponseMessage>.Empty));
            builder.AdditionalHandlers.Add(new PassThroughHandler());
            builder.AdditionalHandlers.Add(new ResilienceHandler(_ => Polly.ResiliencePipeline<HttpResponseMessage>.Empty));
        });
        foreach (var configuration in configurations)
        {
            configuration.PostConfigure(name, options);
        }

        var builder = new TestHandlerBuilder(services, name);
        foreach (var action in options.HttpMessageHandlerBuilderActions)
        {
            action(builder);
        }

        return Chain(builder.Build());
    }

    private static List<HttpMessageHandler> Chain(HttpMessageHandler handler)
    {
        var chain = new List<HttpMessageHandler>();
        for (HttpMessageHandler? current = handler; current is not null; current = (current as DelegatingHandler)?.InnerHandler)
        {
            chain.Add(current);
        }

        return chain;
    }

    private sealed class PassThroughHandler : DelegatingHandler;

    private sealed class TestHandlerBuilder(IServiceProvider services, string name) : HttpMessageHandlerBuilder
    {
        public override string? Name { get; set; } = name;

        public override HttpMessageHandler PrimaryHandler { get; set; } = new HttpClientHandler();

        public override IList<DelegatingHandler> AdditionalHandlers { get; } = [];

        public override IServiceProvider Services => services;

        public override HttpMessageHandler Build() => CreateHandlerPipeline(PrimaryHandler, AdditionalHandlers);
    }
}
