using Blog.PostService.Diagnostics;
using Blog.PostService.OpenApi;
using Blog.PostService.Posts;
using Blog.ServiceDefaults.OpenApi;
using Blog.ServiceDefaults.RateLimiting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddPostServiceOpenApi();

var app = builder.Build();

app.UseTrustedForwardedHeaders();
app.UseExceptionHandler();
app.UseServiceDefaults();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapBlogApiReference();
app.MapDefaultEndpoints();
app.MapPostsApi();
app.MapPingApi();
app.MapDatabaseLimitApi();
app.MapRedisLimitApi();

app.Run();
