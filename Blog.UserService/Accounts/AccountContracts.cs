namespace Blog.UserService.Accounts;

public sealed record RegisterRequest(string? UserName, string? Email, string? Password);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>An account as its owner or an administrator sees it.</summary>
public sealed record AccountResponse(string Id, string UserName, string? Email, IReadOnlyList<string> Roles, bool LockedOut);
