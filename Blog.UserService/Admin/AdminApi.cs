using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.OAuth;
using Blog.UserService.Accounts;
using Blog.UserService.Authorization;
using Blog.UserService.Infrastructure;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Admin;

/// <summary>User administration, for the role admin only. Every change that takes rights away revokes tokens.</summary>
public static class AdminApi
{
    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin/users")
            .WithTags("Admin")
            .WithNoStore()
            .RequireAuthorization(AuthorizationServerExtensions.AdminPolicy);

        api.MapGet("/", ListAsync).WithName("ListUsers").WithSummary("Users, by user name, paged");
        api.MapGet("/{id}", GetAsync).WithName("GetUser").WithSummary("One user");
        api.MapPut("/{id}/roles", SetRolesAsync).WithName("SetUserRoles").WithSummary("Replace a user's roles; revokes the user's tokens; 409 for the last administrator");
        api.MapPost("/{id}/lock", LockAsync).WithName("LockUser").WithSummary("Lock a user out; revokes the user's tokens; 409 for the last administrator");
        api.MapPost("/{id}/unlock", UnlockAsync).WithName("UnlockUser").WithSummary("Unlock a user");
        api.MapDelete("/{id}", DeleteAsync).WithName("DeleteUser").WithSummary("Delete a user; revokes the user's tokens; 409 for the last administrator");

        return api;
    }

    private static async Task<Results<Ok<UserPage>, ValidationProblem>> ListAsync(
        UserManager<BlogUser> users, CancellationToken cancellationToken, int page = 1, int pageSize = 20)
    {
        var errors = Paging.Validate(page, pageSize, MaxPageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var total = await users.Users.CountAsync(cancellationToken);
        var pageOfUsers = await users.Users
            .OrderBy(user => user.NormalizedUserName)
            .Skip((page - 1) * pageSize)
            .Take(pageSize)
            .ToListAsync(cancellationToken);
        var items = new List<AccountResponse>(pageOfUsers.Count);
        foreach (var user in pageOfUsers)
        {
            items.Add(await users.ToResponseAsync(user));
        }

        return TypedResults.Ok(new UserPage(items, page, pageSize, total));
    }

    private static async Task<Results<Ok<AccountResponse>, NotFound>> GetAsync(string id, UserManager<BlogUser> users)
        => await users.FindByIdAsync(id) is { } user ? TypedResults.Ok(await users.ToResponseAsync(user)) : TypedResults.NotFound();

    private static async Task<Results<Ok<AccountResponse>, NotFound, ValidationProblem, ProblemHttpResult>> SetRolesAsync(
        string id, SetRolesRequest request, UserManager<BlogUser> users, UsersDbContext database, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        var wanted = (request.Roles ?? []).Distinct(StringComparer.Ordinal).ToList();
        var unknown = wanted.Except(BlogRoles.All, StringComparer.Ordinal).ToList();
        if (request.Roles is null || unknown.Count > 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["roles"] = [$"Roles must be a list of: {string.Join(", ", BlogRoles.All)}." + (unknown.Count > 0 ? $" Unknown: {string.Join(", ", unknown)}." : "")],
            });
        }

        if (await users.FindByIdAsync(id) is not { } user)
        {
            return TypedResults.NotFound();
        }

        var refused = await AdministratorGuard.ChangeUnlessLastAsync(database, users, user, removesAdministrator: !wanted.Contains(BlogRoles.Admin), async () =>
        {
            var current = await users.GetRolesAsync(user);
            EnsureSucceeded(await users.RemoveFromRolesAsync(user, current.Except(wanted)));
            EnsureSucceeded(await users.AddToRolesAsync(user, wanted.Except(current)));
            // Tokens carry roles: old ones would keep the old rights until they expire.
            await revocation.RevokeAllAsync(user.Id, "roles changed", cancellationToken);
        }, cancellationToken);
        return refused is null ? TypedResults.Ok(await users.ToResponseAsync(user)) : refused;
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> LockAsync(
        string id, UserManager<BlogUser> users, UsersDbContext database, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return TypedResults.NotFound();
        }

        var refused = await AdministratorGuard.ChangeUnlessLastAsync(database, users, user, removesAdministrator: true, async () =>
        {
            EnsureSucceeded(await users.SetLockoutEnabledAsync(user, true));
            EnsureSucceeded(await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue));
            await revocation.RevokeAllAsync(user.Id, "locked by an administrator", cancellationToken);
        }, cancellationToken);
        return refused is null ? TypedResults.NoContent() : refused;
    }

    private static async Task<Results<NoContent, NotFound>> UnlockAsync(string id, UserManager<BlogUser> users)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return TypedResults.NotFound();
        }

        EnsureSucceeded(await users.SetLockoutEndDateAsync(user, null));
        EnsureSucceeded(await users.ResetAccessFailedCountAsync(user));
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAsync(
        string id, UserManager<BlogUser> users, UsersDbContext database, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return TypedResults.NotFound();
        }

        var refused = await AdministratorGuard.ChangeUnlessLastAsync(database, users, user, removesAdministrator: true, async () =>
        {
            await revocation.RevokeAllAsync(user.Id, "deleted", cancellationToken);
            EnsureSucceeded(await users.DeleteAsync(user));
        }, cancellationToken);
        return refused is null ? TypedResults.NoContent() : refused;
    }

    private static void EnsureSucceeded(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(error => error.Description)));
        }
    }
}
