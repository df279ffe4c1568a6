using Blog.ServiceDefaults.OAuth;
using Blog.UserService.Authorization;
using Blog.UserService.Infrastructure;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Admin;

/// <summary>
/// There is always an administrator: a change that would leave none (demoting, locking or deleting the last one,
/// oneself included) is refused with 409 and changes nothing. Nothing else could make one again: the seeder creates the
/// bootstrap administrator on a first install only.
/// </summary>
public static class AdministratorGuard
{
    /// <summary>Serializes the changes that take an administrator away, so two admins cannot remove each other at once.</summary>
    private const long AdministratorsLockKey = 0x426c6f6741646d;

    /// <summary>A lock an administrator set ends at the end of time; a lock from failed passwords ends within minutes.</summary>
    private static readonly TimeSpan LockedForGood = TimeSpan.FromDays(365 * 100);

    /// <summary>
    /// Runs <paramref name="change"/> in a transaction holding the administrators' lock and returns null; or, when the
    /// change takes away <paramref name="user"/>'s administration (<paramref name="removesAdministrator"/> and the user
    /// is an administrator) and no other usable administrator would remain, runs nothing and returns the 409.
    /// </summary>
    public static async Task<ProblemHttpResult?> ChangeUnlessLastAsync(
        UsersDbContext database, UserManager<BlogUser> users, BlogUser user, bool removesAdministrator, Func<Task> change,
        CancellationToken cancellationToken)
    {
        var strategy = database.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await database.Database.BeginTransactionAsync(cancellationToken);
            await database.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdministratorsLockKey})", cancellationToken);
            if (removesAdministrator && await users.IsInRoleAsync(user, BlogRoles.Admin) && !await AnyOtherUsableAdministratorAsync(users, user))
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "The last administrator",
                    detail: "This would leave no usable administrator. Give another account the admin role first.");
            }

            await change();
            await transaction.CommitAsync(cancellationToken);
            return null;
        });
    }

    private static async Task<bool> AnyOtherUsableAdministratorAsync(UserManager<BlogUser> users, BlogUser user)
    {
        var lockedForGoodAfter = DateTimeOffset.UtcNow + LockedForGood;
        return (await users.GetUsersInRoleAsync(BlogRoles.Admin))
            .Any(administrator => administrator.Id != user.Id && !(administrator.LockoutEnd > lockedForGoodAfter));
    }
}
