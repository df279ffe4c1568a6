namespace Blog.UserService.Authorization;

/// <summary>The OAuth 2 vocabulary Blog defines: clients, scopes, the resources (audiences) they map to, and roles.</summary>
public static class BlogClients
{
    /// <summary>Public client of people: password and refresh_token grants.</summary>
    public const string BlogClient = "blog-client";

    /// <summary>The post service: confidential; introspects tokens and reads user profiles.</summary>
    public const string PostService = "post-service";
}

public static class BlogScopes
{
    public const string Posts = "posts";
    public const string UsersRead = "users.read";
}

public static class BlogResources
{
    /// <summary>Audience of tokens for the posts scope; equal to the client id that introspects them (introspection
    /// returns claims only to a confidential client that is an audience of the token).</summary>
    public const string PostService = BlogClients.PostService;

    public const string UserService = "user-service";
}

public static class BlogRoles
{
    public const string Admin = "admin";
    public const string Author = "author";

    public static IReadOnlyList<string> All { get; } = [Admin, Author];
}
