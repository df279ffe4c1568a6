using System.Security.Claims;
using Blog.Web.Posts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.Web.Pages.Posts;

/// <summary>One post; its author may publish or delete it (with the version read, so a concurrent edit is not lost).</summary>
public sealed class DetailsModel(PostServiceClient posts) : PageModel
{
    public PostView Post { get; private set; } = null!;

    public string? Message { get; private set; }

    public bool IsMine => User.FindFirstValue(Claims.Subject) == Post.AuthorId;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await posts.GetAsync(id, cancellationToken) is not { } post)
        {
            return NotFound();
        }

        Post = post;
        return Page();
    }

    public async Task<IActionResult> OnPostPublishAsync(Guid id, uint version, CancellationToken cancellationToken)
        => User.Identity?.IsAuthenticated != true
            ? Challenge()
            : await AfterWriteAsync(id, await posts.PublishAsync(id, version, cancellationToken), $"/posts/{id}", cancellationToken);

    public async Task<IActionResult> OnPostDeleteAsync(Guid id, uint version, CancellationToken cancellationToken)
        => User.Identity?.IsAuthenticated != true
            ? Challenge()
            : await AfterWriteAsync(id, await posts.DeleteAsync(id, version, cancellationToken), "/posts/mine", cancellationToken);

    private async Task<IActionResult> AfterWriteAsync<T>(Guid id, WriteOutcome<T> outcome, string next, CancellationToken cancellationToken)
    {
        if (outcome.Succeeded)
        {
            return LocalRedirect(next);
        }

        if (outcome.Status is StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound)
        {
            return StatusCode(outcome.Status);
        }

        // Changed since it was read (409) or refused: the current post, with what happened.
        if (await posts.GetAsync(id, cancellationToken) is not { } post)
        {
            return NotFound();
        }

        Post = post;
        Message = outcome.Status == StatusCodes.Status409Conflict
            ? "This post was changed since you opened it (in another tab or by someone else). Here it is as it is now; check it and try again."
            : outcome.Detail ?? string.Join(" ", outcome.Errors.SelectMany(error => error.Value));
        Response.StatusCode = outcome.Status;
        return Page();
    }
}
