using Blog.PostService.Infrastructure;
using Blog.PostService.Posts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Blog.PostService.Diagnostics;

/// <summary>
/// The limit of a post read by id: the same row read with one Npgsql command and answered as the real read answers it,
/// without EF Core and without the author's name. Mapped only when <see cref="DiagnosticsOptions.DatabaseLimitEndpoint"/>
/// is on (the benchmark sets it); otherwise the path answers 404 like any unknown one.
/// </summary>
public static class DatabaseLimitApi
{
    // The columns EF Core reads for a post, and the status it stores for a published one.
    private const string PostById = """
        SELECT "Id", "AuthorId", "Title", "Body", "Tags", "Status", "CreatedAt", "UpdatedAt", "PublishedAt", xmin
        FROM posts WHERE "Id" = $1
        """;

    /// <summary>The diagnostics' switches (<see cref="DiagnosticsOptions"/>, this one and <see cref="RedisLimitApi"/>) and this read's connection string.</summary>
    public static void AddDiagnostics(this IServiceCollection services)
    {
        services.AddOptions<DiagnosticsOptions>()
            .BindConfiguration(DiagnosticsOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<PostsConnectionString>();
    }

    public static IEndpointRouteBuilder MapDatabaseLimitApi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<DiagnosticsOptions>>().Value.DatabaseLimitEndpoint)
        {
            return app;
        }

        app.MapGet("/api/ping/posts/{id:guid}", GetAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Ok<PostResponse>, ProblemHttpResult>> GetAsync(
        Guid id, PostsConnectionString connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString.Value);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(PostById, connection) { Parameters = { new() { Value = id } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetString(5) != nameof(PostStatus.Published))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Post not found", detail: $"There is no post {id}.");
        }

        return TypedResults.Ok(new PostResponse(
            reader.GetGuid(0),
            reader.GetString(1),
            AuthorName: null,
            reader.GetString(2),
            reader.GetString(3),
            reader.GetFieldValue<string[]>(4),
            PostStatus.Published,
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.GetFieldValue<DateTimeOffset>(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            reader.GetFieldValue<uint>(9)));
    }

    /// <summary>
    /// The posts database's connection string exactly as EF Core got it: Npgsql pools connections by connection string,
    /// so this endpoint draws from the same bounded pool as the real reads.
    /// </summary>
    internal sealed class PostsConnectionString(IServiceScopeFactory scopes)
    {
        private string? _value;

        public string Value => _value ??= Read();

        private string Read()
        {
            using var scope = scopes.CreateScope();
            return scope.ServiceProvider.GetRequiredService<PostsDbContext>().Database.GetConnectionString()
                   ?? throw new InvalidOperationException("The posts database has no connection string.");
        }
    }
}
