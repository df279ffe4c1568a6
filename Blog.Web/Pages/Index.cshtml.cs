using Blog.Web.Posts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Blog.Web.Pages;

/// <summary>The published posts, newest first, paged, by author and tag (the post service's own filters).</summary>
public sealed class IndexModel(PostServiceClient posts) : PageModel
{
    [FromQuery(Name = "page")]
    public int PageNumber { get; set; } = 1;

    [FromQuery]
    public string? Author { get; set; }

    [FromQuery]
    public string? Tag { get; set; }

    public PostPageView Posts { get; private set; } = new([], 1, 10, false);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Posts = await posts.ListPublishedAsync(Math.Max(1, PageNumber), Author, Tag?.Trim().ToLowerInvariant(), cancellationToken);
    }

    public string PageLink(int page)
        => $"/?page={page}" + (string.IsNullOrEmpty(Author) ? "" : "&author=" + Uri.EscapeDataString(Author))
            + (string.IsNullOrEmpty(Tag) ? "" : "&tag=" + Uri.EscapeDataString(Tag));
}
