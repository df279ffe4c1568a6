namespace Blog.ServiceDefaults.Http;

/// <summary>One rule for every paged list of every service: a page from 1 to <see cref="MaxPage"/>, a page size from 1 to the list's own maximum.</summary>
public static class Paging
{
    /// <summary>Far beyond any real list, and it keeps (page - 1) * pageSize from overflowing (a huge page was a 500).</summary>
    public const int MaxPage = 10_000;

    /// <summary>The errors per query parameter, empty when both are valid; a value not given is left to the list's default.</summary>
    public static Dictionary<string, string[]> Validate(int? page, int? pageSize, int maxPageSize)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (page is < 1 or > MaxPage)
        {
            errors["page"] = [$"The page must be between 1 and {MaxPage}."];
        }

        if (pageSize is < 1 || pageSize > maxPageSize)
        {
            errors["pageSize"] = [$"The page size must be between 1 and {maxPageSize}."];
        }

        return errors;
    }
}
