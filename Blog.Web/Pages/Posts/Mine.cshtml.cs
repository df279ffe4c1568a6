using Blog.Web.Posts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Blog.Web.Pages.Posts;

/// <summary>The signed-in person's posts, drafts included, newest first.</summary>
[Authorize]
public sealed class MineModel(PostServiceClient posts) : PageModel
{
    [FromQuery(Name = "page")]
    public int PageNumber { get; set; } = 1;

    public PostPageView Posts { get; private set; } = new([], 1, 20, false);

    public async Task OnGetAsync(CancellationToken cancellationToken)
        => Posts = await posts.ListMineAsync(Math.Max(1, PageNumber), cancellationToken);
}
