using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Tests.Fixtures;

/// <summary>The services' OpenAPI documents as the running AppHost serves them, and the operations they list.</summary>
public static class OpenApiDocuments
{
    private static readonly HashSet<string> HttpMethods = ["get", "put", "post", "delete", "patch", "head", "options"];

    public static async Task<JsonElement> GetAsync(BlogAppFixture fixture, string service)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var client = fixture.CreateHttpClient(service);
        using var response = await client.GetAsync("/openapi/v1.json", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
    }

    /// <summary>"METHOD /path" to operation, for every operation in the document.</summary>
    public static Dictionary<string, JsonElement> Operations(JsonElement document)
    {
        var operations = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(item => HttpMethods.Contains(item.Name)))
            {
                operations[$"{method.Name.ToUpperInvariant()} {path.Name}"] = method.Value;
            }
        }

        return operations;
    }
}
