using System.Globalization;
using System.Security.Claims;
using Blog.PostService.Infrastructure;
using Blog.PostService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Blog.PostService.Posts;

/// <summary>/api/posts: the public list and reads, the caller's own posts, and writes by authors and admins.</summary>
public static class PostsApi
{
    /// <summary>
    /// The hottest read, compiled once: EF Core otherwise looks the LINQ expression up in its query cache on every call
    /// (walking and hashing the tree, extracting the parameter).
    /// </summary>
    private static readonly Func<PostsDbContext, Guid, CancellationToken, Task<Post?>> PostById = EF.CompileAsyncQuery(
        (PostsDbContext db, Guid id, CancellationToken _) => db.Posts.AsNoTracking().FirstOrDefault(candidate => candidate.Id == id));

    // The caller's posts, newest first: compiled once, like the read by id, since the shape never changes (a composed
    // query pays for EF Core's query cache lookup over its expression tree on every request).
    private static readonly Func<PostsDbContext, string, int, int, IAsyncEnumerable<Post>> PostsByAuthor = EF.CompileAsyncQuery(
        (PostsDbContext db, string authorId, int skip, int take) => db.Posts.AsNoTracking()
            .Where(post => post.AuthorId == authorId)
            .OrderByDescending(post => post.CreatedAt)
            .ThenByDescending(post => post.Id)
            .Skip(skip)
            .Take(take));

    public static RouteGroupBuilder MapPostsApi(this IEndpointRouteBuilder app)
    {
        var posts = app.MapGroup("/api/posts").WithTags("Posts");

        posts.MapGet("/", ListPublishedAsync)
            .WithName("ListPublishedPosts")
            .WithSummary("Published posts, newest first, paged; optionally by author id and tag.");
        posts.MapGet("/mine", ListMineAsync)
            .RequireAuthorization()
            .WithName("ListMyPosts")
            .WithSummary("The caller's posts, drafts included, most recently created first.");
        posts.MapGet("/{id:guid}", GetAsync)
            .WithName("GetPost")
            .WithSummary("A published post, or a draft to its author or an admin.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        posts.MapPost("/", CreateAsync)
            .RequireAuthorization(PostAuthorization.WritePolicy)
            .WithName("CreatePost")
            .WithSummary("Creates a draft (role author or admin, scope posts).");
        posts.MapPut("/{id:guid}", UpdateAsync)
            .RequireAuthorization(PostAuthorization.WritePolicy)
            .WithName("UpdatePost")
            .WithSummary("Replaces title, body and tags; the expected version comes as 'version' or If-Match.")
            .ProducesWriteProblems();
        posts.MapPost("/{id:guid}/publish", PublishAsync)
            .RequireAuthorization(PostAuthorization.WritePolicy)
            .WithName("PublishPost")
            .WithSummary("Publishes a draft; the expected version comes as If-Match or ?version=.")
            .ProducesWriteProblems();
        posts.MapDelete("/{id:guid}", DeleteAsync)
            .RequireAuthorization(PostAuthorization.WritePolicy)
            .WithName("DeletePost")
            .WithSummary("Deletes a post; the expected version comes as If-Match or ?version=.")
            .ProducesWriteProblems();

        return posts;
    }

    private static async Task<Results<Ok<PostPage>, ValidationProblem>> ListPublishedAsync(
        [AsParameters] PostListQuery query, PostsDbContext db, IAuthorDirectory authors, CancellationToken cancellationToken)
    {
        var errors = PostRules.ValidatePage(query.Page, query.PageSize);
        var tag = query.Tag is null ? null : PostRules.NormalizeTag(query.Tag);
        if (tag is not null && !PostRules.IsValidTag(tag))
        {
            errors["tag"] = ["Not a valid tag."];
        }

        if (query.Author is not null && !PostRules.IsValidAuthorFilter(query.Author))
        {
            errors["author"] = ["Not a valid author id."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var posts = db.Posts.AsNoTracking().Where(post => post.Status == PostStatus.Published);
        if (!string.IsNullOrEmpty(query.Author))
        {
            posts = posts.Where(post => post.AuthorId == query.Author);
        }

        if (tag is not null)
        {
            posts = posts.Where(post => post.Tags.Contains(tag));
        }

        var ordered = posts.OrderByDescending(post => post.PublishedAt).ThenByDescending(post => post.Id);
        return TypedResults.Ok(await ToPageAsync(
            (skip, take) => ordered.Skip(skip).Take(take).ToListAsync(cancellationToken), query.Page, query.PageSize, authors, cancellationToken));
    }

    private static async Task<Results<Ok<PostPage>, ValidationProblem>> ListMineAsync(
        int? page, int? pageSize, ClaimsPrincipal user, PostsDbContext db, IAuthorDirectory authors, CancellationToken cancellationToken)
    {
        var errors = PostRules.ValidatePage(page, pageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // A caller without a subject (a client acting for itself) has no posts; no post has an empty author.
        var userId = user.GetUserId() ?? "";
        return TypedResults.Ok(await ToPageAsync(
            (skip, take) => PostsByAuthor(db, userId, skip, take).ToListAsync(cancellationToken).AsTask(), page, pageSize, authors, cancellationToken));
    }

    private static async Task<Results<Ok<PostResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, PostsDbContext db, IAuthorDirectory authors, CancellationToken cancellationToken)
    {
        var post = await PostById(db, id, cancellationToken);
        // A draft is reported missing to anyone who may not see it: its existence is not theirs to know.
        if (post is null || !user.CanSee(post))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(await ToResponseAsync(post, authors, cancellationToken));
    }

    private static async Task<Results<Created<PostResponse>, ValidationProblem>> CreateAsync(
        CreatePostRequest request, ClaimsPrincipal user, PostsDbContext db, IAuthorDirectory authors, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var errors = PostRules.ValidateContent(request.Title, request.Body, request.Tags, out var tags);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = timeProvider.GetStoredUtcNow();
        var post = new Post
        {
            Id = Guid.CreateVersion7(),
            AuthorId = user.GetUserId() ?? throw new InvalidOperationException("An authorized caller has a subject."),
            Title = request.Title!.Trim(),
            Body = request.Body!,
            Tags = tags,
            Status = PostStatus.Draft,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Posts.Add(post);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/posts/{post.Id}", await ToResponseAsync(post, authors, cancellationToken));
    }

    private static async Task<Results<Ok<PostResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdatePostRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, PostsDbContext db,
        IAuthorDirectory authors, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var errors = PostRules.ValidateContent(request.Title, request.Body, request.Tags, out var tags);
        if (!TryGetExpectedVersion(request.Version, ifMatch, out var expectedVersion, out var versionError))
        {
            errors["version"] = [versionError];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (post, problem) = await ChangeAsync(id, expectedVersion, user, db, cancellationToken, edited =>
        {
            edited.Title = request.Title!.Trim();
            edited.Body = request.Body!;
            edited.Tags = tags;
            edited.UpdatedAt = timeProvider.GetStoredUtcNow();
        });
        return problem ?? (Results<Ok<PostResponse>, ValidationProblem, ProblemHttpResult>)TypedResults.Ok(
            await ToResponseAsync(post, authors, cancellationToken));
    }

    private static async Task<Results<Ok<PostResponse>, ValidationProblem, ProblemHttpResult>> PublishAsync(
        Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromQuery] uint? version, ClaimsPrincipal user, PostsDbContext db,
        IAuthorDirectory authors, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!TryGetExpectedVersion(version, ifMatch, out var expectedVersion, out var versionError))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [versionError] });
        }

        var (post, problem) = await ChangeAsync(id, expectedVersion, user, db, cancellationToken, draft =>
        {
            if (draft.Status == PostStatus.Published)
            {
                return;
            }

            var now = timeProvider.GetStoredUtcNow();
            draft.Status = PostStatus.Published;
            draft.PublishedAt = now;
            draft.UpdatedAt = now;
        });
        return problem ?? (Results<Ok<PostResponse>, ValidationProblem, ProblemHttpResult>)TypedResults.Ok(
            await ToResponseAsync(post, authors, cancellationToken));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromQuery] uint? version, ClaimsPrincipal user, PostsDbContext db,
        CancellationToken cancellationToken)
    {
        if (!TryGetExpectedVersion(version, ifMatch, out var expectedVersion, out var versionError))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [versionError] });
        }

        var (_, problem) = await ChangeAsync(id, expectedVersion, user, db, cancellationToken, doomed => db.Posts.Remove(doomed));
        return problem ?? (Results<NoContent, ValidationProblem, ProblemHttpResult>)TypedResults.NoContent();
    }

    /// <summary>
    /// Load, check existence, rights and version (in that order: 404, 403, 409), change, save with xmin as the guard.
    /// Either the changed post or the problem to answer.
    /// </summary>
    private static async Task<(Post Post, ProblemHttpResult? Problem)> ChangeAsync(
        Guid id, uint expectedVersion, ClaimsPrincipal user, PostsDbContext db, CancellationToken cancellationToken, Action<Post> change)
    {
        var post = await db.Posts.FirstOrDefaultAsync(candidate => candidate.Id == id, cancellationToken);
        if (Check(post, id, expectedVersion, user) is { } problem)
        {
            return (post!, problem);
        }

        // The version the client read is what the UPDATE's (or DELETE's) WHERE clause compares with xmin.
        db.Entry(post!).Property(candidate => candidate.Version).OriginalValue = expectedVersion;
        change(post!);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return (post!, Conflict(id));
        }

        return (post!, null);
    }

    private static ProblemHttpResult? Check(Post? post, Guid id, uint expectedVersion, ClaimsPrincipal user)
    {
        if (post is null || !user.CanSee(post))
        {
            return NotFound(id);
        }

        if (!user.CanManage(post))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Not your post",
                detail: "Only the post's author or an admin may change it.");
        }

        return post.Version != expectedVersion ? Conflict(id) : null;
    }

    /// <summary>The expected version from the body/query or from If-Match (an ETag, quoted or not); one is required.</summary>
    private static bool TryGetExpectedVersion(uint? version, string? ifMatch, out uint expected, out string error)
    {
        error = "";
        if (!string.IsNullOrWhiteSpace(ifMatch))
        {
            var value = ifMatch.Trim();
            if (value.StartsWith("W/", StringComparison.Ordinal))
            {
                value = value[2..];
            }

            if (!uint.TryParse(value.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out expected))
            {
                error = "If-Match must carry the post's version, e.g. \"1234\".";
                return false;
            }

            if (version is { } fromBody && fromBody != expected)
            {
                error = "The version and If-Match disagree.";
                return false;
            }

            return true;
        }

        if (version is { } given)
        {
            expected = given;
            return true;
        }

        expected = 0;
        error = "The version last read is required (a 'version' value or an If-Match header), so concurrent edits are not lost.";
        return false;
    }

    private static ProblemHttpResult NotFound(Guid id)
        => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Post not found", detail: $"There is no post {id}.");

    private static ProblemHttpResult Conflict(Guid id)
        => TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: "The post has changed",
            detail: $"Post {id} was changed since the version given; read it again and retry.");

    /// <summary>A page of posts; <paramref name="readRows"/> reads <c>take</c> rows after the first <c>skip</c>, in order.</summary>
    private static async Task<PostPage> ToPageAsync(
        Func<int, int, Task<List<Post>>> readRows, int? page, int? pageSize, IAuthorDirectory authors, CancellationToken cancellationToken)
    {
        var size = pageSize ?? PostRules.DefaultPageSize;
        var number = page ?? 1;
        // One row more than asked tells whether another page exists, without counting.
        var rows = await readRows((number - 1) * size, size + 1);
        var items = rows.Take(size).ToList();
        var names = await authors.GetDisplayNamesAsync(items.Select(post => post.AuthorId).ToList(), cancellationToken);
        return new PostPage(items.Select(post => PostResponse.From(post, names)).ToList(), number, size, rows.Count > size);
    }

    private static async Task<PostResponse> ToResponseAsync(Post post, IAuthorDirectory authors, CancellationToken cancellationToken)
        => PostResponse.From(post, await authors.GetDisplayNamesAsync([post.AuthorId], cancellationToken));

    /// <summary>What every write to an existing post may answer: not yours (403), no such post (404), stale version (409).</summary>
    private static RouteHandlerBuilder ProducesWriteProblems(this RouteHandlerBuilder endpoint)
        => endpoint
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
}
