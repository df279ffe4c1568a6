using System.ComponentModel.DataAnnotations;

namespace Blog.Web.Posts;

/// <summary>
/// What the person types into the write and edit form. Checked by the post service (the one set of rules); its
/// per-field messages are shown next to these fields.
/// </summary>
public sealed class PostDraft
{
    [Display(Name = "Title")]
    public string? Title { get; set; }

    [Display(Name = "Body")]
    public string? Body { get; set; }

    /// <summary>Tags separated by commas or spaces.</summary>
    [Display(Name = "Tags")]
    public string? Tags { get; set; }

    public IReadOnlyList<string> TagList => (Tags ?? "")
        .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static PostDraft From(PostView post) => new() { Title = post.Title, Body = post.Body, Tags = string.Join(", ", post.Tags) };
}
