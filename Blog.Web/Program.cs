using Blog.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBlogWeb();

var app = builder.Build();

app.UseBlogWeb();
app.MapDefaultEndpoints();
app.MapBlogWeb();

app.Run();
