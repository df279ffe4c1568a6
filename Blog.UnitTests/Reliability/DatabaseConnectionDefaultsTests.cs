using System.Data.Common;
using Blog.ServiceDefaults.Database;

namespace Blog.UnitTests.Reliability;

/// <summary>What every service adds to its PostgreSQL connection string, and what it leaves to the operator.</summary>
public sealed class DatabaseConnectionDefaultsTests
{
    [Fact]
    public void A_bare_connection_string_gets_the_connect_timeout_and_the_pool_bound()
    {
        var parts = Parse(DatabaseResilienceExtensions.WithConnectionDefaults("Host=localhost;Port=5432;Username=postgres;Password=x;Database=postsdb"));

        Assert.Equal(DatabaseResilienceExtensions.ConnectTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), parts["Timeout"]);
        Assert.Equal(DatabaseResilienceExtensions.MaxPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture), parts["Maximum Pool Size"]);
        Assert.Equal(BlogResources.PostsDatabase, parts["Database"]);
    }

    [Theory]
    [InlineData("Maximum Pool Size")]
    [InlineData("Max Pool Size")]
    [InlineData("maxpoolsize")]
    public void A_pool_size_the_connection_string_sets_is_kept(string keyword)
    {
        var parts = Parse(DatabaseResilienceExtensions.WithConnectionDefaults($"Host=localhost;{keyword}=40;Timeout=10"));

        Assert.Equal("40", parts[keyword]);
        Assert.Equal("10", parts["Timeout"]);
        Assert.Equal(3, parts.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_missing_connection_string_stays_missing(string? connectionString)
        => Assert.Equal(connectionString, DatabaseResilienceExtensions.WithConnectionDefaults(connectionString));

    private static DbConnectionStringBuilder Parse(string? connectionString) => new() { ConnectionString = connectionString };
}
