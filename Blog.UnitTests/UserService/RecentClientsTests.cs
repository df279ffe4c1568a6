using Blog.UserService.Authorization;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore.Models;

namespace Blog.UnitTests.UserService;

/// <summary>
/// The remembered client rows: a fresh copy per lookup within the memory, nothing after it, nothing when the memory is
/// zero, and nothing once the client is forgotten (changed or deleted on this instance).
/// </summary>
public sealed class RecentClientsTests
{
    private static readonly IOptions<AuthorizationServerOptions> Settings = Options.Create(new AuthorizationServerOptions());

    private static OpenIddictEntityFrameworkCoreApplication Client(string clientId = "post-service") => new()
    {
        Id = "id-" + clientId,
        ClientId = clientId,
        ClientSecret = "AQAAAAEAACcQAAAAEPBKDF2-stored-hash",
        ClientType = "confidential",
        ConcurrencyToken = "token-1",
        Permissions = "[\"ept:introspection\"]",
    };

    [Fact]
    public void A_remembered_client_comes_back_as_a_new_copy_each_time()
    {
        var clients = new RecentClients(new ManualClock(), Settings);
        var original = Client();
        clients.Remember(original);

        var first = clients.Find("post-service");
        var second = clients.Find("post-service");

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotSame(original, first);
        Assert.NotSame(first, second);
        Assert.Equal((original.Id, original.ClientSecret, original.ClientType, original.ConcurrencyToken, original.Permissions),
            (first.Id, first.ClientSecret, first.ClientType, first.ConcurrencyToken, first.Permissions));
    }

    [Fact]
    public void A_copy_changed_by_one_request_does_not_change_what_the_next_gets()
    {
        var clients = new RecentClients(new ManualClock(), Settings);
        clients.Remember(Client());

        clients.Find("post-service")!.Permissions = "[\"ept:token\",\"gt:password\"]";

        Assert.Equal("[\"ept:introspection\"]", clients.Find("post-service")!.Permissions);
    }

    [Fact]
    public void A_client_is_read_again_once_the_memory_has_passed()
    {
        var clock = new ManualClock();
        var clients = new RecentClients(clock, Settings);
        clients.Remember(Client());

        clock.Advance(Settings.Value.ClientLookupMemory - TimeSpan.FromSeconds(1));
        Assert.NotNull(clients.Find("post-service"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(clients.Find("post-service"));
    }

    [Fact]
    public void Nothing_is_remembered_when_the_memory_is_zero()
    {
        var clients = new RecentClients(new ManualClock(), Options.Create(new AuthorizationServerOptions { ClientLookupMemory = TimeSpan.Zero }));
        clients.Remember(Client());

        Assert.Null(clients.Find("post-service"));
    }

    [Fact]
    public void A_forgotten_client_is_read_again_and_others_stay()
    {
        var clients = new RecentClients(new ManualClock(), Settings);
        clients.Remember(Client());
        clients.Remember(Client("blog-web"));

        clients.Forget("post-service");

        Assert.Null(clients.Find("post-service"));
        Assert.NotNull(clients.Find("blog-web"));
    }

    [Fact]
    public void No_more_than_the_capacity_is_remembered()
    {
        var clients = new RecentClients(new ManualClock(), Settings);
        for (var number = 0; number <= RecentClients.Capacity; number++)
        {
            clients.Remember(Client($"client-{number}"));
        }

        Assert.NotNull(clients.Find("client-0"));
        Assert.Null(clients.Find($"client-{RecentClients.Capacity}"));
    }
}
