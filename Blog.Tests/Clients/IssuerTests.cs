using Blog.Tests.Fixtures;
using Duende.IdentityModel.Client;

namespace Blog.Tests.Clients;

/// <summary>The issuer is the URL clients reach the user service by, so standard client libraries accept the server.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class IssuerTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task The_discovery_document_names_the_url_it_was_fetched_from_as_issuer()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var client = fixture.CreateHttpClient(BlogResources.UserService);
        var authority = client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        // Duende.IdentityModel's default policy: issuer equal to the authority, every endpoint under it, keys present.
        var discovery = await client.GetDiscoveryDocumentAsync(authority, timeout.Token);

        Assert.False(discovery.IsError, $"{discovery.ErrorType}: {discovery.Error}");
        Assert.Equal(authority + "/", discovery.Issuer);
        Assert.StartsWith(authority + "/", discovery.TokenEndpoint);
        Assert.NotEmpty(discovery.KeySet!.Keys);
    }
}
