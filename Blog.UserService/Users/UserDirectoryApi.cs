using Blog.ServiceDefaults.Http;
using Blog.UserService.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Users;

/// <summary>What anyone may know of a user: the id and the display name (never the login name).</summary>
public sealed record PublicProfile(string Id, string DisplayName);

public sealed record LookupRequest(IReadOnlyList<string>? Ids);

/// <summary>Public profiles for other services (scope users.read: the post service's client-credentials token).</summary>
public static class UserDirectoryApi
{
    public const int MaxLookupIds = 100;

    public static RouteGroupBuilder MapUserDirectoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users")
            .WithTags("Users")
            .WithNoStore()
            .RequireAuthorization(AuthorizationServerExtensions.UsersReadPolicy);

        api.MapGet("/{id}", GetAsync).WithName("GetPublicProfile").WithSummary("A user's public profile");
        api.MapPost("/lookup", LookupAsync).WithName("LookupPublicProfiles").WithSummary("Public profiles of up to 100 users; unknown ids are left out");

        return api;
    }

    private static async Task<Results<Ok<PublicProfile>, NotFound>> GetAsync(string id, UserManager<BlogUser> users)
        => await users.FindByIdAsync(id) is { } user ? TypedResults.Ok(new PublicProfile(user.Id, user.DisplayName)) : TypedResults.NotFound();

    private static async Task<Results<Ok<List<PublicProfile>>, ValidationProblem>> LookupAsync(
        LookupRequest request, UserManager<BlogUser> users, CancellationToken cancellationToken)
    {
        if (request.Ids is null || request.Ids.Count > MaxLookupIds)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ids"] = [$"Give between 0 and {MaxLookupIds} ids."],
            });
        }

        // PostgreSQL cannot compare a text holding NUL: refused here, before a query that would fail (and log an error).
        if (request.Ids.Any(id => id is null || id.Contains('\0')))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ids"] = ["An id is a string that holds no NUL character (U+0000)."],
            });
        }

        var ids = request.Ids.Distinct(StringComparer.Ordinal).ToList();
        var profiles = await users.Users
            .Where(user => ids.Contains(user.Id))
            .Select(user => new PublicProfile(user.Id, user.DisplayName))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(profiles);
    }
}
