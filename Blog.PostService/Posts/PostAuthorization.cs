using System.Security.Claims;
using Blog.ServiceDefaults.OAuth;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.PostService.Posts;

/// <summary>Who may do what with posts. Roles and scopes come from the introspected token.</summary>
public static class PostAuthorization
{
    /// <summary>Writing posts: role author or admin, and a token granted the posts scope.</summary>
    public const string WritePolicy = "posts.write";

    public static void AddPostAuthorization(this IServiceCollection services)
        => services.AddAuthorizationBuilder()
            .AddPolicy(WritePolicy, policy => policy
                .RequireAuthenticatedUser()
                .RequireRole(BlogRoles.Author, BlogRoles.Admin)
                .RequireAssertion(context => context.User.HasScope(BlogScopes.Posts)));

    /// <summary>The caller's user id at the user service (the token's sub), if authenticated.</summary>
    public static string? GetUserId(this ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true ? user.FindFirst(Claims.Subject)?.Value : null;

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(BlogRoles.Admin);

    /// <summary>A published post is anyone's to read; a draft only its author's and admins'.</summary>
    public static bool CanSee(this ClaimsPrincipal user, Post post) => post.Status == PostStatus.Published || user.CanManage(post);

    /// <summary>The author or an admin.</summary>
    public static bool CanManage(this ClaimsPrincipal user, Post post)
        => user.IsAdmin() || (user.GetUserId() is { } userId && string.Equals(userId, post.AuthorId, StringComparison.Ordinal));
}
