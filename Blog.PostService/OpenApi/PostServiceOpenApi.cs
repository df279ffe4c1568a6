using Blog.PostService.Authentication;
using Blog.ServiceDefaults;
using Blog.ServiceDefaults.OAuth;
using Blog.ServiceDefaults.OpenApi;
using Microsoft.Extensions.Options;

namespace Blog.PostService.OpenApi;

/// <summary>
/// The post service's OpenAPI document and API reference. Its security scheme is the user service's password flow, so
/// a person logs in from the page (client blog-client) and calls the write endpoints with the token it gets.
/// </summary>
public static class PostServiceOpenApi
{
    /// <summary>Overrides the token URL the document names (default: the user service's address from service discovery).</summary>
    public const string TokenUrlKey = "OpenApi:TokenUrl";

    public static IHostApplicationBuilder AddPostServiceOpenApi(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.AddBlogOpenApi(new BlogApiReference
        {
            Title = "Blog post service",
            Description = "Blog posts: public reads, the caller's own posts, and writes by authors and admins. A resource server: "
                + "tokens come from the user service (Authorize: authorization code with PKCE, client id blog-api-reference, "
                + "scope posts: the user service's sign-in and consent pages) and are "
                + "checked by introspection, cached in Redis.",
            TokenUrl = (services, _) => TokenUrl(configuration, services.GetRequiredService<IOptions<TokenValidationOptions>>().Value),
            Scopes = BlogApiReference.DescribeScopes(BlogScopes.Posts, "openid", "profile", "roles", "offline_access"),
            DefaultScopes = ["openid", "profile", "roles", "offline_access", BlogScopes.Posts],
            // A token is only accepted with the audience post-service, which only the posts scope gives.
            RequiredScopes = [BlogScopes.Posts],
            ProtectedResponses = new Dictionary<int, string>
            {
                [StatusCodes.Status503ServiceUnavailable] = "The token is not cached and the user service cannot be reached to check it; retry after Retry-After.",
            },
        });
        return builder;
    }

    /// <summary>
    /// The token endpoint as a browser reaches it: <c>OpenApi:TokenUrl</c>, else the user service's http(s) address that
    /// Aspire's service discovery gives the post service (<c>services:userservice:*</c>), else the pinned issuer.
    /// </summary>
    private static Uri TokenUrl(IConfiguration configuration, TokenValidationOptions validation)
    {
        if (configuration[TokenUrlKey] is { Length: > 0 } configured)
        {
            return new Uri(configured, UriKind.Absolute);
        }

        var userService = configuration[$"services:{BlogServiceNames.UserService}:https:0"]
            ?? configuration[$"services:{BlogServiceNames.UserService}:http:0"]
            ?? validation.Issuer!.AbsoluteUri;
        return new Uri(new Uri(userService.EndsWith('/') ? userService : userService + "/", UriKind.Absolute), "connect/token");
    }
}
