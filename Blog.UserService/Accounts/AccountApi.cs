using System.Security.Claims;
using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.OAuth;
using Blog.ServiceDefaults.RateLimiting;
using Blog.UserService.Authorization;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Accounts;

public static class AccountApi
{
    public static RouteGroupBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/account").WithTags("Account").WithNoStore();

        api.MapPost("/register", RegisterAsync)
            .WithName("Register")
            .WithSummary("Create an account (role author)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireClientRateLimit<RouteHandlerBuilder, RegistrationRateLimitOptions>("registration")
            .AllowAnonymous();
        api.MapGet("/me", GetMeAsync)
            .WithName("GetMe")
            .WithSummary("The caller's account")
            .RequireAuthorization(AuthorizationServerExtensions.UserPolicy);
        api.MapPost("/password", ChangePasswordAsync)
            .WithName("ChangePassword")
            .WithSummary("Change the caller's password; revokes all of the caller's tokens")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireAuthorization(AuthorizationServerExtensions.UserPolicy);
        api.MapPost("/logout-all", LogoutEverywhereAsync)
            .WithName("LogoutEverywhere")
            .WithSummary("Sign out everywhere: revokes all of the caller's access and refresh tokens")
            .RequireAuthorization(AuthorizationServerExtensions.UserPolicy);

        return api;
    }

    private static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, UserManager<BlogUser> users)
    {
        var errors = UserAccounts.ValidateRegistration(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = new BlogUser { UserName = request.UserName!.Trim(), DisplayName = request.DisplayName!.Trim(), Email = request.Email!.Trim() };
        var created = await users.CreateAsync(user, request.Password!);
        if (created.IsDuplicate())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Account exists",
                detail: "The user name is already taken.");
        }

        if (!created.Succeeded)
        {
            return TypedResults.ValidationProblem(created.ToFieldErrors());
        }

        var role = await users.AddToRoleAsync(user, BlogRoles.Author);
        if (!role.Succeeded)
        {
            throw new InvalidOperationException($"Could not give {user.Id} the author role: {role.Errors.First().Description}");
        }

        return TypedResults.Created("/api/account/me", await users.ToResponseAsync(user));
    }

    private static async Task<Results<Ok<AccountResponse>, NotFound>> GetMeAsync(ClaimsPrincipal principal, UserManager<BlogUser> users)
        => await FindCallerAsync(principal, users) is { } user
            ? TypedResults.Ok(await users.ToResponseAsync(user))
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> ChangePasswordAsync(
        ChangePasswordRequest request, ClaimsPrincipal principal, UserManager<BlogUser> users, TokenRevocation revocation,
        LoginThrottle throttle, HttpContext context, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.CurrentPassword))
        {
            errors["currentPassword"] = ["The current password is required."];
        }

        if (string.IsNullOrEmpty(request.NewPassword))
        {
            errors["newPassword"] = ["A new password is required."];
        }
        else if (request.NewPassword.Length > UserAccounts.MaxPasswordLength)
        {
            // The same limit as at registration: a password change must not accept what registration refuses.
            errors["newPassword"] = [$"The password must be at most {UserAccounts.MaxPasswordLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await FindCallerAsync(principal, users) is not { } user)
        {
            return TypedResults.NotFound();
        }

        // The current password is a password guess like any other: the same throttle as the token endpoint's.
        var source = ClientAddresses.PartitionOf(context);
        var account = users.NormalizeName(user.UserName) ?? "";
        if (await throttle.GetWaitAsync(account, source) is { } wait)
        {
            context.Response.SetRetryAfter(wait);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed attempts",
                detail: "Too many wrong passwords for this account from this address; retry after the time given in Retry-After.");
        }

        var changed = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (!changed.Succeeded)
        {
            var mismatch = changed.Errors.Any(error => error.Code == nameof(IdentityErrorDescriber.PasswordMismatch));
            if (mismatch)
            {
                await throttle.RecordFailureAsync(account, source);
            }

            var fieldErrors = mismatch
                ? new Dictionary<string, string[]> { ["currentPassword"] = ["The current password is not correct."] }
                : changed.ToFieldErrors(passwordField: "newPassword");
            return TypedResults.ValidationProblem(fieldErrors);
        }

        await revocation.RevokeAllAsync(user.Id, "password changed", cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, NotFound>> LogoutEverywhereAsync(
        ClaimsPrincipal principal, UserManager<BlogUser> users, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        if (await FindCallerAsync(principal, users) is not { } user)
        {
            return TypedResults.NotFound();
        }

        await revocation.RevokeAllAsync(user.Id, "signed out everywhere", cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<BlogUser?> FindCallerAsync(ClaimsPrincipal principal, UserManager<BlogUser> users)
        => principal.GetClaim(Claims.Subject) is { } id ? await users.FindByIdAsync(id) : null;
}
