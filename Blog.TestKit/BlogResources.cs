namespace Blog.TestKit;

/// <summary>The AppHost's resource and parameter names, as the tests and the benchmark address them.</summary>
public static class BlogResources
{
    public const string Postgres = "postgres";
    public const string UsersDatabase = "usersdb";
    public const string PostsDatabase = "postsdb";
    public const string Redis = "redis";
    public const string UserService = "userservice";
    public const string PostService = "postservice";
    public const string Web = "web";

    /// <summary>Every resource of the application, in start order.</summary>
    public static readonly string[] All = [Postgres, UsersDatabase, PostsDatabase, Redis, UserService, PostService, Web];

    /// <summary>The post service's client secret at the user service (a generated AppHost parameter).</summary>
    public const string PostServiceClientSecret = "post-service-client-secret";

    /// <summary>The post service's directory client's secret (client credentials, users.read).</summary>
    public const string PostServiceDirectorySecret = "post-service-directory-secret";
    public const string AdminUserName = "admin-username";
    public const string AdminPassword = "admin-password";

    /// <summary>The web front end's client secret at the user service (confidential client blog-web).</summary>
    public const string WebClientSecret = "web-client-secret";
}
