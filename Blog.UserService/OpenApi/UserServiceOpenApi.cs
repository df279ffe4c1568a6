using System.Net;
using Blog.ServiceDefaults.OAuth;
using Blog.ServiceDefaults.OpenApi;
using Blog.UserService.Authorization;
using Microsoft.OpenApi;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.OpenApi;

/// <summary>
/// The user service's OpenAPI document and API reference: its APIs, plus the OAuth endpoints OpenIddict serves (token,
/// revocation, introspection, discovery), which are not minimal-API endpoints and so are described here by hand.
/// </summary>
public static class UserServiceOpenApi
{
    /// <summary>Development only: lets an API reference page on another loopback origin (the post service's) log in here.</summary>
    public const string ApiReferenceCorsPolicy = "api-reference";

    private const string OAuthTag = "OAuth";

    public static IHostApplicationBuilder AddUserServiceOpenApi(this IHostApplicationBuilder builder)
    {
        builder.AddBlogOpenApi(new BlogApiReference
        {
            Title = "Blog user service",
            Description = "Accounts, user administration and public profiles; the OAuth 2 authorization server of Blog "
                + "(authorization code with PKCE, device, refresh_token and client_credentials grants, the legacy password grant "
                + "in Development; RFC 7662 introspection; RFC 7009 revocation). "
                + "Log in with the Authorize button (authorization code, client id blog-api-reference, no secret, scope account, "
                + "audience user-service): the sign-in and consent pages open. "
                + "One token per resource: a post-service token (scope posts) is refused here, an account token there.",
            TokenUrl = (_, http) => new Uri(http is null
                ? "/connect/token"
                : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/connect/token", UriKind.RelativeOrAbsolute),
            Scopes = PeopleScopes,
            DefaultScopes = [Scopes.OpenId, Scopes.Profile, Scopes.Roles, Scopes.OfflineAccess, BlogScopes.Account],
            PolicyScopes = new Dictionary<string, IReadOnlyList<string>>
            {
                [AuthorizationServerExtensions.UserPolicy] = [BlogScopes.Account],
                [AuthorizationServerExtensions.AdminPolicy] = [BlogScopes.Account],
                [AuthorizationServerExtensions.UsersReadPolicy] = [BlogScopes.UsersRead],
            },
            ClientCredentialsScopes = new Dictionary<string, string>
            {
                [BlogScopes.UsersRead] = "Read public profiles (client post-service only, with its secret).",
            },
            TransformDocument = (document, _, _) =>
            {
                AddOAuthEndpoints(document);
                return Task.CompletedTask;
            },
        });

        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddCors(cors => cors.AddPolicy(ApiReferenceCorsPolicy, policy => policy
                .SetIsOriginAllowed(origin => Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsLoopback(uri))
                .AllowAnyHeader()
                .WithMethods(HttpMethods.Post, HttpMethods.Get)));
        }

        return builder;
    }

    /// <summary>In Development, before authentication (where OpenIddict answers the OAuth endpoints): CORS for the reference pages.</summary>
    public static WebApplication UseApiReferenceCors(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            app.UseCors(ApiReferenceCorsPolicy);
        }

        return app;
    }

    public static IReadOnlyDictionary<string, string> PeopleScopes { get; } = BlogApiReference.DescribeScopes(
        Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess, BlogScopes.Posts, BlogScopes.Account);

    private static bool IsLoopback(Uri uri)
        => uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static void AddOAuthEndpoints(OpenApiDocument document)
    {
        document.Tags ??= new HashSet<OpenApiTag>();
        document.Tags.Add(new OpenApiTag { Name = OAuthTag, Description = "OAuth 2 and OpenID Connect endpoints (OpenIddict)" });
        document.Paths ??= [];

        document.Paths["/connect/token"] = FormPost(document,
            "Get a token (password, refresh_token or client_credentials grant)",
            "Password grant: client_id=blog-client, username, password, scope: one resource per token, e.g. 'openid profile roles offline_access account' for this service's APIs, "
            + "'openid profile roles offline_access posts' for the post service. "
            + "Refresh: client_id=blog-client, refresh_token, and optionally scope: a subset of the granted scopes, e.g. 'posts' for a "
            + "post-service token or 'account' for a user-service token (one token per resource; the audiences follow the scopes). "
            + "Client credentials: client_id=post-service, client_secret, scope=users.read. "
            + "Wrong password, unknown user and locked account all get the same invalid_grant. Rate limited per client address (429 with Retry-After).",
            new()
            {
                ["grant_type"] = ("password | refresh_token | client_credentials", true),
                ["client_id"] = ($"{BlogClients.BlogClient} (people) or {BlogClients.PostService} (the post service)", true),
                ["client_secret"] = ($"{BlogClients.PostService} only", false),
                ["username"] = ("password grant", false),
                ["password"] = ("password grant", false),
                ["scope"] = ("space-separated scopes", false),
                ["refresh_token"] = ("refresh_token grant", false),
            },
            new()
            {
                ["200"] = ("access_token, token_type, expires_in, scope; refresh_token with offline_access; id_token with openid", TokenResponse()),
                ["400"] = ("OAuth error: invalid_grant, invalid_request, unsupported_grant_type, invalid_scope", OAuthError()),
                ["401"] = ("OAuth error: invalid_client", OAuthError()),
                ["429"] = ("Too many token requests from this address (ProblemDetails, Retry-After)", null),
            });
        document.Paths["/connect/revoke"] = FormPost(document,
            "Revoke a token (RFC 7009)",
            "client_id=blog-client, token (an access or refresh token). The post service replicas stop accepting a revoked access token within about a second.",
            new()
            {
                ["client_id"] = (BlogClients.BlogClient, true),
                ["token"] = ("the token to revoke", true),
                ["token_type_hint"] = ("access_token or refresh_token", false),
            },
            new()
            {
                ["200"] = ("Revoked (also for an unknown or already revoked token)", null),
                ["400"] = ("OAuth error", OAuthError()),
            });
        document.Paths["/connect/introspect"] = FormPost(document,
            "Introspect a token (RFC 7662; client post-service only)",
            "client_id=post-service, client_secret, token. Returns active, sub, name, role, scope, aud, exp for tokens whose audience is post-service.",
            new()
            {
                ["client_id"] = (BlogClients.PostService, true),
                ["client_secret"] = ("the post service's secret", true),
                ["token"] = ("the token to introspect", true),
            },
            new()
            {
                ["200"] = ("{ active: false } or the token's claims", new OpenApiSchema { Type = JsonSchemaType.Object }),
                ["400"] = ("OAuth error", OAuthError()),
                ["401"] = ("OAuth error: invalid_client", OAuthError()),
            });
        document.Paths["/.well-known/openid-configuration"] = Get(document, "Discovery document (OpenID Connect)", "The endpoints, grants and scopes of this server.");
        document.Paths["/.well-known/jwks"] = Get(document, "Signing keys (JWKS)", "The public keys tokens are signed with.");
    }

    private static OpenApiPathItem FormPost(
        OpenApiDocument document, string summary, string description,
        Dictionary<string, (string Description, bool Required)> fields,
        Dictionary<string, (string Description, IOpenApiSchema? Schema)> responses)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = fields.ToDictionary(
                field => field.Key,
                field => (IOpenApiSchema)new OpenApiSchema { Type = JsonSchemaType.String, Description = field.Value.Description }),
            Required = fields.Where(field => field.Value.Required).Select(field => field.Key).ToHashSet(),
        };
        var operation = new OpenApiOperation
        {
            Summary = summary,
            Description = description,
            Tags = new HashSet<OpenApiTagReference> { new(OAuthTag, document) },
            RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/x-www-form-urlencoded"] = new() { Schema = schema } },
            },
            Responses = [],
        };
        foreach (var (status, (text, body)) in responses)
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = text,
                Content = body is null ? null : new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = body } },
            };
        }

        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Post, operation);
        return item;
    }

    private static OpenApiPathItem Get(OpenApiDocument document, string summary, string description)
    {
        var item = new OpenApiPathItem();
        item.AddOperation(HttpMethod.Get, new OpenApiOperation
        {
            Summary = summary,
            Description = description,
            Tags = new HashSet<OpenApiTagReference> { new(OAuthTag, document) },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "JSON",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                },
            },
        });
        return item;
    }

    private static OpenApiSchema TokenResponse() => StringObject("access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token");

    private static OpenApiSchema OAuthError() => StringObject("error", "error_description", "error_uri");

    private static OpenApiSchema StringObject(params string[] names) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = names.ToDictionary(
            name => name,
            name => (IOpenApiSchema)new OpenApiSchema { Type = name == "expires_in" ? JsonSchemaType.Integer : JsonSchemaType.String }),
    };
}
