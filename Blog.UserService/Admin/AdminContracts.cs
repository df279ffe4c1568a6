using Blog.UserService.Accounts;

namespace Blog.UserService.Admin;

public sealed record SetRolesRequest(IReadOnlyList<string>? Roles);

public sealed record UserPage(IReadOnlyList<AccountResponse> Items, int Page, int PageSize, int Total);
