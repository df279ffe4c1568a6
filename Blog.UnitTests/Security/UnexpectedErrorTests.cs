using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Blog.UnitTests.Security;

/// <summary>
/// A bug's exception, in Development (as the AppHost runs the services): a 500 ProblemDetails that tells nothing of the
/// code, whatever the client accepts. ASP.NET Core's developer exception page would otherwise answer with the
/// exception's type, message and stack when the ProblemDetails writer declines (a client that accepts HTML).
/// </summary>
public sealed class UnexpectedErrorTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("text/html")]
    [InlineData("*/*")]
    public async Task An_unexpected_exception_is_a_ProblemDetails_naming_no_type_and_no_message(string accept)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.UseExceptionHandler();
        app.UseServiceDefaults();
        app.MapGet("/bug", string () => throw new InvalidOperationException("internal state of Blog.Secret.Thing"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(timeout.Token);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/bug");
            request.Headers.Accept.ParseAdd(accept);

            using var response = await client.SendAsync(request, timeout.Token);

            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{response.Content.Headers.ContentType}: {text[..Math.Min(text.Length, 300)]}");
            Assert.DoesNotContain("internal state", text, StringComparison.Ordinal);
            BadInputHttp.AssertNoTypeName(text);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }
}
