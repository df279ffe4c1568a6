using Blog.Web.Account;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Blog.Web.Pages;

/// <summary>The person's account at the user service: name and roles, the apps they allowed, sign out everywhere.</summary>
[Authorize]
public sealed class AccountModel(AccountClient account) : PageModel
{
    public AccountView? Account { get; private set; }

    public IReadOnlyList<ConsentView> Consents { get; private set; } = [];

    [TempData]
    public string? Message { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Account = await account.GetMeAsync(cancellationToken);
        Consents = await account.ListConsentsAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostWithdrawAsync(string id, CancellationToken cancellationToken)
    {
        Message = await account.WithdrawConsentAsync(id, cancellationToken)
            ? "Access withdrawn: that app's tokens no longer work, and it must ask you again."
            : "There was no such access to withdraw.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostSignOutEverywhereAsync(CancellationToken cancellationToken)
    {
        await account.SignOutEverywhereAsync(cancellationToken);
        // This app's tokens were revoked with the rest.
        throw new SessionEndedException("You signed out everywhere.");
    }
}
