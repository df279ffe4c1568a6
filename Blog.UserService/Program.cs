using Blog.ServiceDefaults.OpenApi;
using Blog.ServiceDefaults.RateLimiting;
using Blog.UserService.Accounts;
using Blog.UserService.Admin;
using Blog.UserService.Authorization;
using Blog.UserService.OpenApi;
using Blog.UserService.SignIn;
using Blog.UserService.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddUserServiceOpenApi();
builder.AddSignInPages();

var app = builder.Build();

app.UseTrustedForwardedHeaders();
app.UseExceptionHandler();
app.UseServiceDefaults();
app.UseStatusCodePages();
app.UseRouting();
app.UseApiReferenceCors();
app.UseClientRateLimiting();
app.UseAuthentication();
app.UseAuthorization();

app.MapBlogApiReference();
app.MapDefaultEndpoints();
app.MapTokenEndpoint();
app.MapSignInPages();
app.MapUserInfoEndpoint();
app.MapAccountApi();
app.MapConsentsApi();
app.MapAdminApi();
app.MapUserDirectoryApi();

app.Run();
