using System.Text.RegularExpressions;
using Blog.ServiceDefaults.Http;

namespace Blog.PostService.Posts;

/// <summary>What a valid post and a valid page request look like; every failure is reported per field.</summary>
public static partial class PostRules
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 50;
    public const int MaxTitleLength = 200;
    public const int MaxBodyLength = 100_000;
    /// <summary>A user id at the user service (ASP.NET Core Identity's key column length).</summary>
    public const int MaxAuthorIdLength = 450;
    public const int MaxTags = 10;
    public const int MaxTagLength = 32;

    public static Dictionary<string, string[]> ValidateContent(string? title, string? body, IReadOnlyList<string>? tags, out List<string> normalizedTags)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(title))
        {
            errors["title"] = ["A title is required."];
        }
        else if (title.Trim().Length > MaxTitleLength)
        {
            errors["title"] = [$"A title has at most {MaxTitleLength} characters."];
        }
        else if (title.Trim().Any(char.IsControl))
        {
            // A title is one line of text (surrounding whitespace is trimmed), and PostgreSQL could not even store a NUL.
            errors["title"] = ["A title holds no control characters (line breaks, tabs, NUL, ...)."];
        }

        if (string.IsNullOrWhiteSpace(body))
        {
            errors["body"] = ["A body is required."];
        }
        else if (body.Length > MaxBodyLength)
        {
            errors["body"] = [$"A body has at most {MaxBodyLength} characters."];
        }
        else if (body.Contains('\0'))
        {
            errors["body"] = ["A body holds no NUL character (U+0000)."];
        }

        normalizedTags = (tags ?? []).Select(NormalizeTag).Distinct(StringComparer.Ordinal).ToList();
        var tagErrors = new List<string>();
        if (normalizedTags.Count > MaxTags)
        {
            tagErrors.Add($"A post has at most {MaxTags} tags.");
        }

        foreach (var tag in normalizedTags.Where(tag => !IsValidTag(tag)))
        {
            tagErrors.Add($"'{tag}' is not a tag: 1 to {MaxTagLength} lowercase letters, digits or dashes, starting with a letter or digit.");
        }

        if (tagErrors.Count > 0)
        {
            errors["tags"] = [.. tagErrors];
        }

        return errors;
    }

    public static Dictionary<string, string[]> ValidatePage(int? page, int? pageSize) => Paging.Validate(page, pageSize, MaxPageSize);

    /// <summary>An author filter is a user id: at most as long as the column, with no control characters.</summary>
    public static bool IsValidAuthorFilter(string author)
        => author.Length <= MaxAuthorIdLength && !author.Any(char.IsControl);

    public static string NormalizeTag(string tag) => (tag ?? "").Trim().ToLowerInvariant();

    public static bool IsValidTag(string tag) => tag.Length is > 0 and <= MaxTagLength && TagPattern().IsMatch(tag);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
