using Blog.ServiceDefaults.Http;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Blog.Web.Pages;

/// <summary>
/// Every failure's page: a plain message with the status that says what happened (503 when a service does not
/// answer), never a stack trace. Reached again with the failed request's method, so it answers posts too.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public string Heading { get; private set; } = "Something went wrong";

    public string Text { get; private set; } = "This page could not be shown. Please try again later.";

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        if (HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error is ServiceUnavailableException unavailable)
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.SetRetryAfter(RetryAfter);
            Heading = "Temporarily unavailable";
            Text = $"The {unavailable.Service} is not answering right now. Please try again in a moment.";
            return;
        }

        (Heading, Text) = (code ?? Response.StatusCode) switch
        {
            StatusCodes.Status400BadRequest => ("Bad request", "This request could not be accepted (an expired or missing form token?). Go back, reload the page and try again."),
            StatusCodes.Status403Forbidden => ("Not yours", "Only the post's author may change it."),
            StatusCodes.Status404NotFound => ("Not found", "There is no such page or post (a draft is visible to its author only)."),
            StatusCodes.Status503ServiceUnavailable => ("Temporarily unavailable", "A service this page needs is not answering right now. Please try again in a moment."),
            _ => (Heading, Text),
        };
    }
}
