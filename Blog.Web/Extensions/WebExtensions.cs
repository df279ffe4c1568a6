using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.RateLimiting;
using Blog.Web.Account;
using Blog.Web.Posts;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using OpenIddict.Client;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.Web.Extensions;

public static class WebExtensions
{
    public const string CookieName = "blog-web";

    public static WebApplicationBuilder AddBlogWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BlogWebOptions>()
            .BindConfiguration(BlogWebOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddRazorPages();
        builder.Services.AddMemoryCache();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<WebSessions>();
        builder.Services.AddScoped<UserTokens>();

        builder.Services.AddHttpClient<PostServiceClient>().ConfigureHttpClient((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<BlogWebOptions>>().Value;
            http.BaseAddress = options.PostService;
            http.Timeout = options.ServiceTimeout;
        });
        builder.Services.AddHttpClient<AccountClient>().ConfigureHttpClient((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<BlogWebOptions>>().Value;
            http.BaseAddress = options.UserService;
            http.Timeout = options.ServiceTimeout;
        });

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                // The browser holds only this: a session name, encrypted, out of reach of scripts.
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = "/signin";
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.Events.OnValidatePrincipal = context =>
                {
                    // A session this process no longer holds (a restart, idle too long): signed out, not half signed in.
                    var sessions = context.HttpContext.RequestServices.GetRequiredService<WebSessions>();
                    if (sessions.Find(context.Principal?.FindFirst(UserTokens.SessionClaim)?.Value) is null)
                    {
                        context.RejectPrincipal();
                    }

                    return Task.CompletedTask;
                };
            });
        builder.Services.AddAuthorization();

        var serviceTimeout = builder.Configuration.GetSection(BlogWebOptions.SectionName).GetValue(nameof(BlogWebOptions.ServiceTimeout), new BlogWebOptions().ServiceTimeout);
        builder.Services.AddOpenIddict()
            .AddClient(client =>
            {
                client.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                // State tokens live only for a sign-in's round trip; no database is needed to keep them.
                client.DisableTokenStorage();
                client.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                client.SetRedirectionEndpointUris(Blog.ServiceDefaults.OAuth.BlogClients.WebRedirectPath.TrimStart('/'))
                    .SetPostLogoutRedirectionEndpointUris(Blog.ServiceDefaults.OAuth.BlogClients.WebPostLogoutRedirectPath.TrimStart('/'));
                var aspNetCore = client.UseAspNetCore()
                    .EnableRedirectionEndpointPassthrough()
                    .EnablePostLogoutRedirectionEndpointPassthrough()
                    .EnableErrorPassthrough();
                if (builder.Environment.IsDevelopment())
                {
                    // Local runs are plain http (no development certificate); production requires https.
                    aspNetCore.DisableTransportSecurityRequirement();
                }

                // OpenIddict retries on its own and ServiceDefaults' handler wraps its client too: the whole exchange is
                // bounded here, so an unreachable user service is a prompt 503 rather than a minute of nested retries.
                client.UseSystemNetHttp().ConfigureHttpClient(http => http.Timeout = serviceTimeout);
            });
        // The registration comes from the validated options, so a missing setting fails start-up with its name.
        builder.Services.AddOptions<OpenIddictClientOptions>()
            .Configure<IOptions<BlogWebOptions>>((client, settings) => client.Registrations.Add(new OpenIddictClientRegistration
            {
                Issuer = settings.Value.Authority,
                ClientId = settings.Value.ClientId,
                ClientSecret = settings.Value.ClientSecret,
                Scopes = { Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess, Blog.ServiceDefaults.OAuth.BlogScopes.Posts, Blog.ServiceDefaults.OAuth.BlogScopes.Account },
                RedirectUri = new Uri(Blog.ServiceDefaults.OAuth.BlogClients.WebRedirectPath.TrimStart('/'), UriKind.Relative),
                PostLogoutRedirectUri = new Uri(Blog.ServiceDefaults.OAuth.BlogClients.WebPostLogoutRedirectPath.TrimStart('/'), UriKind.Relative),
            }));
        return builder;
    }

    public static WebApplication UseBlogWeb(this WebApplication app)
    {
        app.UseTrustedForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            // A service that does not answer is an outage to report (503), not a fault of this app.
            StatusCodeSelector = exception => exception is ServiceUnavailableException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseBlogResponseHeaders();
        var authority = app.Services.GetRequiredService<IOptions<BlogWebOptions>>().Value.Authority!.GetLeftPart(UriPartial.Authority);
        app.Use((context, next) =>
        {
            // No script at all; forms post here, or (sign-out) are redirected to the user service.
            context.Response.Headers.ContentSecurityPolicy =
                $"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {authority}; frame-ancestors 'none'; base-uri 'none'";
            context.Response.Headers["Referrer-Policy"] = "same-origin";
            return next(context);
        });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<SessionEndedMiddleware>();
        return app;
    }

    public static WebApplication MapBlogWeb(this WebApplication app)
    {
        app.MapSignIn();
        app.MapRazorPages();
        return app;
    }
}
