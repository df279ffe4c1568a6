using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Blog.Web.Pages;

/// <summary>Where a sign-out ends, and why (a code in the query, never text from it).</summary>
public sealed class SignedOutModel : PageModel
{
    [FromQuery]
    public string? Reason { get; set; }

    public string Heading => Reason == "denied" ? "Not signed in" : "You are signed out";

    public string Text => Reason switch
    {
        "ended" => "You were signed out because your sign-in ended at the user service: you signed out everywhere, "
            + "withdrew this app's access, changed your password, or an administrator ended it. Sign in again to continue.",
        "denied" => "You did not allow Blog web to use your account, or the sign-in did not complete.",
        _ => "You are signed out of Blog web and of the user service.",
    };
}
