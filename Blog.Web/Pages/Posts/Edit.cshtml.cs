using System.Security.Claims;
using Blog.Web.Posts;
using Blog.Web.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.Web.Pages.Posts;

/// <summary>
/// Write a draft or edit a post. The post service checks the content (its messages go next to each field) and the
/// version read (a stale one is a conflict); whatever happens, the typed text stays in the form.
/// </summary>
[Authorize]
public sealed class EditModel(PostServiceClient posts) : PageModel
{
    [FromRoute]
    public Guid? Id { get; set; }

    [BindProperty]
    public PostDraft Draft { get; set; } = new();

    /// <summary>The version the person read: the post service refuses the save if the post changed since.</summary>
    [BindProperty]
    public uint? Version { get; set; }

    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Id is not { } id)
        {
            return Page();
        }

        if (await posts.GetAsync(id, cancellationToken) is not { } post)
        {
            return NotFound();
        }

        if (post.AuthorId != User.FindFirstValue(Claims.Subject))
        {
            return StatusCode(StatusCodes.Status403Forbidden);
        }

        Draft = PostDraft.From(post);
        Version = post.Version;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        WriteOutcome<PostView> outcome;
        try
        {
            outcome = Id is { } id
                ? await posts.UpdateAsync(id, Draft, Version ?? 0, cancellationToken)
                : await posts.CreateAsync(Draft, cancellationToken);
        }
        catch (ServiceUnavailableException)
        {
            Message = "The post service is not answering right now, so nothing was saved. Your text is still here: try again in a moment.";
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Page();
        }

        if (outcome.Value is { } saved)
        {
            return LocalRedirect($"/posts/{saved.Id}");
        }

        switch (outcome.Status)
        {
            case StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound:
                return StatusCode(outcome.Status);
            case StatusCodes.Status409Conflict:
                Message = "This post was changed since you opened it (in another tab or by someone else), so your edit was not saved. "
                    + "Your text is kept below; open the post in another tab to compare. Saving again replaces that version with your text.";
                // Saving again is now a deliberate overwrite of the version the person was just told about.
                if (Id is { } id && await posts.GetAsync(id, cancellationToken) is { } current)
                {
                    Version = current.Version;
                    ModelState.Remove(nameof(Version));
                }

                break;
            default:
                foreach (var (field, messages) in outcome.Errors)
                {
                    ModelState.AddModelError(FieldKey(field), string.Join(" ", messages));
                }

                if (outcome.Errors.Count == 0)
                {
                    Message = outcome.Detail ?? "The post service refused this post.";
                }

                break;
        }

        Response.StatusCode = outcome.Status;
        return Page();
    }

    public string? FieldError(string key)
        => ModelState.TryGetValue(key, out var entry) && entry.Errors.Count > 0 ? string.Join(" ", entry.Errors.Select(error => error.ErrorMessage)) : null;

    /// <summary>The post service names fields as its JSON does (title, body, tags); anything else is about the whole post.</summary>
    private static string FieldKey(string field) => field.ToLowerInvariant() switch
    {
        "title" or "$.title" => "Draft.Title",
        "body" or "$.body" => "Draft.Body",
        "tags" or "$.tags" => "Draft.Tags",
        _ => "",
    };
}
