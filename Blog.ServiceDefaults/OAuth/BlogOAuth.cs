namespace Blog.ServiceDefaults.OAuth;

// The OAuth 2 vocabulary Blog defines, shared by the user service (which registers it), the post service (which
// requests and checks it) and the tests: clients, scopes, the resources (audiences) they map to, and roles.

/// <summary>The clients registered at the user service.</summary>
public static class BlogClients
{
    /// <summary>Public client of people: password (legacy, Development only) and refresh_token grants.</summary>
    public const string BlogClient = "blog-client";

    /// <summary>
    /// Public native client (a command line): authorization code with PKCE through a loopback redirect on any port, the
    /// device flow, refresh tokens.
    /// </summary>
    public const string Cli = "blog-cli";

    /// <summary>Loopback redirect of <see cref="Cli"/>, registered without a port: any port matches (RFC 8252 section 7.3).</summary>
    public const string CliRedirectUri = "http://127.0.0.1/callback";

    /// <summary>Where <see cref="Cli"/> may be sent after signing out, on any port as well.</summary>
    public const string CliPostLogoutRedirectUri = "http://127.0.0.1/signed-out";

    /// <summary>The API reference pages (Development): public, authorization code with PKCE back to the page.</summary>
    public const string ApiReference = "blog-api-reference";

    /// <summary>
    /// The web front end (Blog.Web): confidential (it runs on a server and keeps the tokens there), authorization code
    /// with PKCE, refresh tokens, revocation and sign-out; its redirect URIs are its own, registered exactly.
    /// </summary>
    public const string Web = "blog-web";

    /// <summary>Path of <see cref="Web"/>'s redirect URI (after sign-in), under the front end's address.</summary>
    public const string WebRedirectPath = "/signin-callback";

    /// <summary>Path of <see cref="Web"/>'s post-logout redirect URI, under the front end's address.</summary>
    public const string WebPostLogoutRedirectPath = "/signout-callback";

    /// <summary>The post service as a resource server: confidential; introspects tokens, nothing else.</summary>
    public const string PostService = "post-service";

    /// <summary>
    /// The post service as a client of the user directory: confidential; client credentials for users.read. Apart from
    /// <see cref="PostService"/> so that the credential that discloses users' claims serves no other purpose (RFC 7662 section 4).
    /// </summary>
    public const string PostServiceDirectory = "post-service-directory";
}

/// <summary>
/// Each scope maps to one resource (audience): a client asks for one token per resource, so a resource server that
/// receives a token cannot replay it at another.
/// </summary>
public static class BlogScopes
{
    /// <summary>People's access to the post service (audience post-service).</summary>
    public const string Posts = "posts";

    /// <summary>People's access to their account and, for admins, the admin API of the user service (audience user-service).</summary>
    public const string Account = "account";

    /// <summary>The post service's client-credentials access to the user directory (audience user-service).</summary>
    public const string UsersRead = "users.read";
}

/// <summary>The resources (audiences) tokens are issued for.</summary>
public static class BlogResources
{
    /// <summary>Audience of tokens for the posts scope; equal to the client id that introspects them (introspection
    /// returns claims only to a confidential client that is an audience of the token).</summary>
    public const string PostService = BlogClients.PostService;

    /// <summary>Audience of tokens for the account and users.read scopes: the user service's own APIs require it.</summary>
    public const string UserService = "user-service";
}

/// <summary>The roles the user service grants and both services check.</summary>
public static class BlogRoles
{
    public const string Admin = "admin";
    public const string Author = "author";

    public static IReadOnlyList<string> All { get; } = [Admin, Author];
}
