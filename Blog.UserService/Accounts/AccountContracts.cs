namespace Blog.UserService.Accounts;

/// <summary><c>DisplayName</c> is what others see; <c>UserName</c> is the login name, shown only to the owner and administrators.</summary>
public sealed record RegisterRequest(string? UserName, string? DisplayName, string? Email, string? Password);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>An account as its owner or an administrator sees it.</summary>
public sealed record AccountResponse(string Id, string UserName, string DisplayName, string? Email, IReadOnlyList<string> Roles, bool LockedOut);
