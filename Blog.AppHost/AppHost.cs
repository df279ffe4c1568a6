using Microsoft.Extensions.Configuration;
using Blog.AppHost;
using Blog.ServiceDefaults;
using Blog.AppHost.Identity;
using Blog.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

BlogInfrastructure infrastructure;
try
{
    infrastructure = builder.AddBlogInfrastructure();
}
catch (InfrastructureConfigurationException exception)
{
    // A setting or a missing package is the user's to fix: say what, without a stack trace.
    await Console.Error.WriteLineAsync($"Blog.AppHost: {exception.Message}");
    return 2;
}

var identity = IdentityParameters.Add(builder);
var postServiceSecrets = PostServiceSecrets.Add(builder);

var userService = builder.AddProject<Projects.Blog_UserService>(BlogServiceNames.UserService)
    // More than one instance works: sign-in cookies, antiforgery and consent forms use data-protection keys kept in the
    // users database, throttles live in Redis. One by default (the fault tests stop "the" user service).
    .WithReplicas(builder.Configuration.GetValue("UserService:Replicas", 1))
    .WithLogin(infrastructure.UserService.Database, BlogInfrastructureExtensions.UsersDatabaseName).WaitFor(infrastructure.UsersDatabase)
    .WithLogin(infrastructure.UserService.Redis, BlogInfrastructureExtensions.RedisName).WaitFor(infrastructure.Redis)
    .WithEnvironment("AuthorizationServer__SigningKey", identity.SigningKey)
    .WithEnvironment("AuthorizationServer__EncryptionKey", identity.EncryptionKey)
    .WithEnvironment("AuthorizationServer__PostServiceClientSecret", identity.PostServiceClientSecret)
    .WithEnvironment("AuthorizationServer__PostServiceDirectorySecret", identity.PostServiceDirectorySecret)
    .WithEnvironment("AuthorizationServer__Admin__UserName", identity.AdminUserName)
    .WithEnvironment("AuthorizationServer__Admin__Password", identity.AdminPassword)
    .WithServiceSettings()
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = "/scalar/v1", DisplayText = "API reference" });
var issuer = IdentityParameters.IssuerOf(userService);

var postService = builder.AddProject<Projects.Blog_PostService>(BlogServiceNames.PostService)
    // Several instances share the Redis level of the token cache; revocation events reach each one.
    .WithReplicas(builder.Configuration.GetValue("PostService:Replicas", 2))
    .WithLogin(infrastructure.PostService.Database, BlogInfrastructureExtensions.PostsDatabaseName).WaitFor(infrastructure.PostsDatabase)
    .WithLogin(infrastructure.PostService.Redis, BlogInfrastructureExtensions.RedisName).WaitFor(infrastructure.Redis)
    // A reference without a wait: the post service needs the user service only for its first unknown token (and
    // answers 503 with Retry-After until it can reach it), so both start at once instead of one after the other.
    .WithReference(userService)
    .WithEnvironment("Authentication__Issuer", issuer)
    .WithEnvironment("Authentication__ClientSecret", identity.PostServiceClientSecret)
    .WithEnvironment("Authentication__DirectoryClientSecret", identity.PostServiceDirectorySecret)
    .WithEnvironment("Authentication__CacheEntryKey", postServiceSecrets.CacheEntryKey)
    .WithServiceSettings()
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = "/scalar/v1", DisplayText = "API reference" });

// The web front end: signs people in at the user service (confidential client blog-web) and calls the post service
// with their tokens, both over service discovery; the issuer it expects is the user service's public URL.
var web = builder.AddProject<Projects.Blog_Web>(BlogServiceNames.Web)
    .WithReference(userService).WaitFor(userService)
    .WithReference(postService).WaitFor(postService)
    .WithEnvironment("BlogWeb__Authority", issuer)
    .WithEnvironment("BlogWeb__ClientSecret", identity.WebClientSecret)
    .WithServiceSettings()
    .WithHttpHealthCheck("/health");

// Values naming the user service's own endpoint and the post service's: set in a callback, so that the model records
// no reference of the user service to itself or to the post service (which depends on it).
userService.WithEnvironment(context =>
{
    context.EnvironmentVariables["AuthorizationServer__Issuer"] = issuer;
    // The API reference pages log in with the authorization code flow and come back to themselves: registered exactly.
    foreach (var (page, index) in new[] { userService, postService }.Select((service, index) => (service, index)))
    {
        context.EnvironmentVariables[$"AuthorizationServer__ApiReferenceRedirectUris__{index}"] =
            ReferenceExpression.Create($"{page.GetEndpoint("http")}/scalar/v1");
    }

    // The web front end's redirect and post-logout URIs are registered under its own address.
    context.EnvironmentVariables["AuthorizationServer__WebClientSecret"] = identity.WebClientSecret;
    context.EnvironmentVariables["AuthorizationServer__WebBaseUrl"] = web.GetEndpoint("http");
});

await builder.Build().RunAsync();
return 0;
