using System.Net;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Foundation;

[Collection(BlogAppCollection.Name)]
public sealed class ResourceHealthTests(BlogAppFixture fixture)
{
    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Every_resource_becomes_healthy(string resourceName)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        await fixture.WaitHealthyAsync(resourceName, timeout.Token);
    }

    public static TheoryData<string> Resources() => new(BlogAppFixture.ResourceNames);
}
