using Blog.ServiceDefaults.OAuth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Blog.ServiceDefaults.OpenApi;

/// <summary>What a service's API reference says about itself and how a person logs in from it.</summary>
public sealed class BlogApiReference
{
    /// <summary>The one OAuth 2 security scheme of both documents.</summary>
    public const string SecuritySchemeName = "oauth2";

    /// <summary>The public client of the legacy password grant (Development only, no secret).</summary>
    public const string PublicClientId = BlogClients.BlogClient;

    /// <summary>The reference pages' own public client: authorization code with PKCE, redirected back to the page.</summary>
    public const string ReferenceClientId = BlogClients.ApiReference;

    /// <summary>The authorization endpoint beside a token endpoint (<c>/connect/authorize</c> beside <c>/connect/token</c>).</summary>
    public static Uri AuthorizationUrlOf(Uri tokenUrl) => new(tokenUrl, "authorize");

    /// <summary>Where the interactive reference is served (Development only): <c>/scalar/v1</c>.</summary>
    public const string ReferencePath = "/scalar/v1";

    public const string DocumentName = "v1";

    public required string Title { get; init; }

    public required string Description { get; init; }

    /// <summary>The token endpoint as a browser reaches it (the reference page posts the password grant there), from the
    /// application's services and the request for the document, if any.</summary>
    public required Func<IServiceProvider, HttpContext?, Uri> TokenUrl { get; init; }

    /// <summary>Scopes a person can ask for, with what each grants.</summary>
    public required IReadOnlyDictionary<string, string> Scopes { get; init; }

    /// <summary>Scopes the reference page selects by default when logging in.</summary>
    public required IReadOnlyList<string> DefaultScopes { get; init; }

    /// <summary>Scopes a policy needs in the token (policies not listed, and the default policy, need <see cref="RequiredScopes"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> PolicyScopes { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Scopes every protected endpoint needs unless its policy is in <see cref="PolicyScopes"/>.</summary>
    public IReadOnlyList<string> RequiredScopes { get; init; } = [];

    /// <summary>Whether the scheme also declares the client-credentials flow (service-to-service clients).</summary>
    public IReadOnlyDictionary<string, string>? ClientCredentialsScopes { get; init; }

    /// <summary>Responses every protected operation can give besides its own (e.g. 503 while introspection is impossible).</summary>
    public IReadOnlyDictionary<int, string> ProtectedResponses { get; init; } = new Dictionary<int, string>();

    /// <summary>More document changes a service needs (e.g. the OAuth endpoints OpenIddict serves outside routing).</summary>
    public Func<OpenApiDocument, OpenApiDocumentTransformerContext, CancellationToken, Task>? TransformDocument { get; init; }

    /// <summary>What each scope a person can ask for grants, worded once for both services' documents.</summary>
    public static IReadOnlyDictionary<string, string> PeopleScopeDescriptions { get; } = new Dictionary<string, string>
    {
        ["openid"] = "OpenID Connect: the subject",
        ["profile"] = "Name in the identity token",
        ["email"] = "Email in the identity token",
        ["roles"] = "Roles in the identity token",
        ["offline_access"] = "A refresh token",
        [BlogScopes.Posts] = "The post service (audience post-service): needed for every call to it",
        [BlogScopes.Account] = "The user service's account and admin APIs (audience user-service): needed for every call to them",
    };

    /// <summary>The descriptions of these scopes, in this order.</summary>
    public static IReadOnlyDictionary<string, string> DescribeScopes(params string[] scopes)
        => scopes.ToDictionary(scope => scope, scope => PeopleScopeDescriptions[scope], StringComparer.Ordinal);
}

/// <summary>
/// The OpenAPI document (Microsoft.AspNetCore.OpenApi) with the OAuth 2 password flow as its security scheme, a security
/// requirement and 401/403 ProblemDetails on every protected operation, and Scalar's interactive reference.
/// </summary>
public static class BlogOpenApiExtensions
{
    /// <summary>The service's one OpenAPI document (<c>v1</c>), configured by the named transformers in order.</summary>
    public static IHostApplicationBuilder AddBlogOpenApi(this IHostApplicationBuilder builder, BlogApiReference reference)
    {
        builder.Services.AddSingleton(reference);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddOpenApi(BlogApiReference.DocumentName, options => options
            .ApplyDocumentInfo(reference)
            .ApplyOAuthSecurityScheme(reference)
            .ApplyServiceTransform(reference)
            .ApplyAuthorizationChecks(reference));
        return builder;
    }

    /// <summary>
    /// <c>/openapi/v1.json</c> always; in Development also the interactive reference at <c>/scalar/v1</c>, set up to log
    /// in with the authorization code flow and PKCE as its own public client: "Authorize" opens the user service's
    /// sign-in and consent pages and comes back to the page (its proxy off: requests go from the browser straight to Blog).
    /// </summary>
    public static WebApplication MapBlogApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            var reference = app.Services.GetRequiredService<BlogApiReference>();
            app.MapScalarApiReference((options, http) => options
                .WithTitle(reference.Title)
                .AddPreferredSecuritySchemes(BlogApiReference.SecuritySchemeName)
                .AddAuthorizationCodeFlow(BlogApiReference.SecuritySchemeName, flow => flow
                    .WithClientId(BlogApiReference.ReferenceClientId)
                    .WithPkce(Pkce.Sha256)
                    // The page itself, as the user service registered it (exact match).
                    .WithRedirectUri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{BlogApiReference.ReferencePath}")
                    .WithSelectedScopes(reference.DefaultScopes)));
        }

        return app;
    }
}
