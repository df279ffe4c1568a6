using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Blog.ServiceDefaults.OpenApi;

/// <summary>The transformers of a Blog service's OpenAPI document, one job each, applied in order by AddBlogOpenApi.</summary>
internal static class OpenApiOptionsExtensions
{
    /// <summary>The document's title and description.</summary>
    public static OpenApiOptions ApplyDocumentInfo(this OpenApiOptions options, BlogApiReference reference)
        => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = reference.Title;
            document.Info.Description = reference.Description;
            return Task.CompletedTask;
        });

    /// <summary>
    /// The one OAuth 2 security scheme: the authorization code flow (with PKCE, what the reference pages use), the
    /// legacy password flow, and client credentials where the service takes them.
    /// </summary>
    public static OpenApiOptions ApplyOAuthSecurityScheme(this OpenApiOptions options, BlogApiReference reference)
        => options.AddDocumentTransformer((document, context, _) =>
        {
            var http = context.ApplicationServices.GetRequiredService<IHttpContextAccessor>().HttpContext;
            var tokenUrl = reference.TokenUrl(context.ApplicationServices, http);
            var flows = new OpenApiOAuthFlows
            {
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = BlogApiReference.AuthorizationUrlOf(tokenUrl),
                    TokenUrl = tokenUrl,
                    RefreshUrl = tokenUrl,
                    Scopes = new Dictionary<string, string>(reference.Scopes),
                },
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

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BlogApiReference.SecuritySchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = $"Log in with the authorization code flow and PKCE (S256) as client '{BlogApiReference.ReferenceClientId}' "
                    + $"(no secret): the user service's sign-in and consent pages. In Development also the legacy password grant as "
                    + $"client '{BlogApiReference.PublicClientId}'. The access token is then sent as 'Authorization: Bearer ...'.",
                Flows = flows,
            };
            return Task.CompletedTask;
        });

    /// <summary>The service's own document changes, if any (e.g. the OAuth endpoints OpenIddict serves outside routing).</summary>
    public static OpenApiOptions ApplyServiceTransform(this OpenApiOptions options, BlogApiReference reference)
        => reference.TransformDocument is { } transform ? options.AddDocumentTransformer(transform) : options;

    /// <summary>
    /// Every protected operation: a security requirement naming the scopes its policy needs, and 401/403 (and the
    /// service's <see cref="BlogApiReference.ProtectedResponses"/>) as ProblemDetails.
    /// </summary>
    public static OpenApiOptions ApplyAuthorizationChecks(this OpenApiOptions options, BlogApiReference reference)
        => options.AddOperationTransformer(async (operation, context, cancellationToken) =>
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
                var key = status.ToString(CultureInfo.InvariantCulture);
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
}
