using Blog.ServiceDefaults.OAuth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Blog.ServiceDefaults.OpenApi;

/// <summary>What a service's API reference says about itself and how a person logs in from it.</summary>
public sealed class BlogApiReference
{
    /// <summary>The one OAuth 2 security scheme of both documents.</summary>
    public const string SecuritySchemeName = "oauth2";

    /// <summary>The public client people log in with (password grant, no secret).</summary>
    public const string PublicClientId = BlogClients.BlogClient;

    /// <summary>Where the interactive reference is served (Development only): <c>/scalar/v1</c>.</summary>
    public const string ReferencePath = "/scalar/v1";

    public const string DocumentName = "v1";

    public required string Title { get; init; }

    public required string Description { get; init; }

    /// <summary>The token endpoint as a browser reaches it (the reference page posts the password grant there).</summary>
    public required Func<HttpContext?, Uri> TokenUrl { get; init; }

    /// <summary>Scopes a person can ask for, with what each grants.</summary>
    public required IReadOnlyDictionary<string, string> Scopes { get; init; }

    /// <summary>Scopes the reference page selects by default when logging in.</summary>
    public required IReadOnlyList<string> DefaultScopes { get; init; }

    /// <summary>Scopes a policy needs in the token (policies not listed, and the default policy, need <see cref="RequiredScopes"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> PolicyScopes { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Scopes every protected endpoint needs unless its policy is in <see cref="PolicyScopes"/>.</summary>
    public IReadOnlyList<string> RequiredScopes { get; init; } = [];

    /// <summary>Whether the scheme also declares the client-credentials flow (service-to-service clients).</summary>
    public IReadOnlyDictionary<string, string>? ClientCredentialsScopes { get; init; }

    /// <summary>Responses every protected operation can give besides its own (e.g. 503 while introspection is impossible).</summary>
    public IReadOnlyDictionary<int, string> ProtectedResponses { get; init; } = new Dictionary<int, string>();

    /// <summary>More document changes a service needs (e.g. the OAuth endpoints OpenIddict serves outside routing).</summary>
    public Func<OpenApiDocument, OpenApiDocumentTransformerContext, CancellationToken, Task>? TransformDocument { get; init; }
}

/// <summary>
/// The OpenAPI document (Microsoft.AspNetCore.OpenApi) with the OAuth 2 password flow as its security scheme, a security
/// requirement and 401/403 ProblemDetails on every protected operation, and Scalar's interactive reference.
/// </summary>
public static class BlogOpenApiExtensions
{
    public static IHostApplicationBuilder AddBlogOpenApi(this IHostApplicationBuilder builder, BlogApiReference reference)
    {
        builder.Services.AddSingleton(reference);
        builder.Services.AddHttpContextAccessor();
        // Each service registers its document (AddOpenApi() in its AddApplicationServices); this configures that document.
        builder.Services.Configure<OpenApiOptions>(BlogApiReference.DocumentName, options =>
        {
            options.AddDocumentTransformer(async (document, context, cancellationToken) =>
            {
                var http = context.ApplicationServices.GetRequiredService<IHttpContextAccessor>().HttpContext;
                document.Info.Title = reference.Title;
                document.Info.Description = reference.Description;
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                var tokenUrl = reference.TokenUrl(http);
                var flows = new OpenApiOAuthFlows
                {
                    Password = new OpenApiOAuthFlow
                    {
                        TokenUrl = tokenUrl,
                        RefreshUrl = tokenUrl,
                        Scopes = new Dictionary<string, string>(reference.Scopes),
                    },
                };
                if (reference.ClientCredentialsScopes is { } serviceScopes)
                {
                    flows.ClientCredentials = new OpenApiOAuthFlow { TokenUrl = tokenUrl, Scopes = new Dictionary<string, string>(serviceScopes) };
                }

                document.Components.SecuritySchemes[BlogApiReference.SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.OAuth2,
                    Description = $"Log in with the password grant as client '{BlogApiReference.PublicClientId}' (no secret); "
                        + "the access token is then sent as 'Authorization: Bearer ...'.",
                    Flows = flows,
                };
                if (reference.TransformDocument is { } transform)
                {
                    await transform(document, context, cancellationToken);
                }
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var authorize = metadata.OfType<IAuthorizeData>().ToList();
                if (authorize.Count == 0 || metadata.OfType<IAllowAnonymous>().Any())
                {
                    return;
                }

                var scopes = authorize
                    .SelectMany(data => data.Policy is { } policy && reference.PolicyScopes.TryGetValue(policy, out var policyScopes)
                        ? policyScopes
                        : reference.RequiredScopes)
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(BlogApiReference.SecuritySchemeName, context.Document)] = scopes,
                });

                var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken);
                operation.Responses ??= [];
                AddProblem(StatusCodes.Status401Unauthorized, "No token, or the token is not active (expired, revoked, unknown).");
                AddProblem(StatusCodes.Status403Forbidden, "The token lacks the role or scope this operation needs.");
                foreach (var (status, description) in reference.ProtectedResponses)
                {
                    AddProblem(status, description);
                }

                void AddProblem(int status, string description)
                {
                    var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (!operation.Responses.ContainsKey(key))
                    {
                        operation.Responses[key] = new OpenApiResponse
                        {
                            Description = description,
                            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
                        };
                    }
                }
            });
        });
        return builder;
    }

    /// <summary>
    /// <c>/openapi/v1.json</c> always; in Development also the interactive reference at <c>/scalar/v1</c>, set up to log
    /// in with the password grant as the public client (its proxy off: requests go from the browser straight to Blog).
    /// </summary>
    public static WebApplication MapBlogApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            var reference = app.Services.GetRequiredService<BlogApiReference>();
            app.MapScalarApiReference(options => options
                .WithTitle(reference.Title)
                .AddPreferredSecuritySchemes(BlogApiReference.SecuritySchemeName)
                .AddPasswordFlow(BlogApiReference.SecuritySchemeName, flow => flow
                    .WithClientId(BlogApiReference.PublicClientId)
                    .WithCredentialsLocation(CredentialsLocation.Body)
                    .WithSelectedScopes(reference.DefaultScopes)));
        }

        return app;
    }
}
