using Blog.UserService.Accounts;
using Blog.UserService.Admin;
using Blog.UserService.Authorization;
using Blog.UserService.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRouting();
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapTokenEndpoint();
app.MapAccountApi();
app.MapAdminApi();
app.MapUserDirectoryApi();

app.Run();
