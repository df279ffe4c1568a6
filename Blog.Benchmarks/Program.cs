using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Blog.Benchmarks;
using Microsoft.Extensions.DependencyInjection;

// Starts Blog (local mode, throw-away data directory), measures, prints a Markdown table, stops everything.
// Usage: dotnet run -c Release --project Blog.Benchmarks [-- requests concurrency]
var requests = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 400;
var concurrency = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
var maxDuration = TimeSpan.FromMinutes(2);
var dataDirectory = Path.Combine(Path.GetTempPath(), $"blog-bench-{Guid.NewGuid():N}");

using var startTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
[
    "--Infrastructure:Mode=local",
    $"--Infrastructure:DataDirectory={dataDirectory}",
    // The benchmark is one client address sending far more than a person would.
    "--ServiceSettings:userservice:RateLimiting:TokenEndpoint:PermitLimit=100000",
], startTimeout.Token);
foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
{
    // No dashboard here to export telemetry to (see the tests' fixture).
    builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
}

await using var app = await builder.BuildAsync(startTimeout.Token);
try
{
    await app.StartAsync(startTimeout.Token);
    foreach (var name in new[] { "userservice", "postservice" })
    {
        await app.ResourceNotifications.WaitForResourceHealthyAsync(name, startTimeout.Token);
    }

    var userService = app.CreateHttpClient("userservice", "http");
    var secret = await ParameterAsync(app, "post-service-client-secret");

    var userName = $"bench-{Guid.NewGuid():N}"[..20];
    var password = $"Pw-{Guid.NewGuid():N}!A1";
    (await userService.PostAsJsonAsync("/api/account/register", new { userName, email = $"{userName}@example.test", password })).EnsureSuccessStatusCode();

    FormUrlEncodedContent PasswordGrant() => new(new Dictionary<string, string>
    {
        ["grant_type"] = "password", ["client_id"] = "blog-client", ["username"] = userName, ["password"] = password,
        ["scope"] = "openid profile roles offline_access posts",
    });

    using var tokenResponse = await userService.PostAsync("/connect/token", PasswordGrant());
    var accessToken = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

    var results = new List<LoadResult>
    {
        await LoadRunner.RunAsync("password grant (POST /connect/token)", async cancellationToken =>
        {
            using var response = await userService.PostAsync("/connect/token", PasswordGrant(), cancellationToken);
            return response.IsSuccessStatusCode;
        }, requests, concurrency, maxDuration),
        await LoadRunner.RunAsync("introspection (POST /connect/introspect)", async cancellationToken =>
        {
            using var response = await userService.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = "post-service", ["client_secret"] = secret, ["token"] = accessToken,
            }), cancellationToken);
            return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("active").GetBoolean();
        }, requests, concurrency, maxDuration),
        await LoadRunner.RunAsync("introspection, one at a time", async cancellationToken =>
        {
            using var response = await userService.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = "post-service", ["client_secret"] = secret, ["token"] = accessToken,
            }), cancellationToken);
            return response.IsSuccessStatusCode;
        }, Math.Max(100, requests / 4), 1, maxDuration),
    };

    Console.WriteLine($"Blog benchmarks: {Environment.ProcessorCount} cores, {requests} requests per scenario, {concurrency} concurrent (closed loop), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine(LoadResult.MarkdownHeader);
    results.ForEach(result => Console.WriteLine(result.ToMarkdownRow()));
}
finally
{
    await app.StopAsync();
    if (Directory.Exists(dataDirectory))
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
}

static async Task<string> ParameterAsync(DistributedApplication app, string name)
    => await app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
        .Single(parameter => parameter.Name == name).GetValueAsync(default) ?? throw new InvalidOperationException(name);
