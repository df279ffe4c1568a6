using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Blog.UnitTests.PostService;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;
using static Blog.UnitTests.Revocation.CacheEntries;

namespace Blog.Tests.Revocation;

/// <summary>
/// A Redis hit reads the entry and every revocation marker that concerns it (the token's, the subject's, the login's)
/// in one command, with exactly the Redis account the post service runs with (its ACL: its own keys, the markers read
/// only), against markers written with the user service's account, as the user service writes them.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RedisHitRoundTripTests(BlogAppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(10);
    // Inside the post service's own key pattern, so that its ACL lets it write there; apart from the real entries.
    private readonly string _prefix = $"{new TokenValidationOptions().CacheKeyPrefix}test-{Guid.NewGuid():N}:";
    private readonly List<RedisKey> _keys = [];
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ProfilingSession _commands = new();
    private ConnectionMultiplexer? _postService;
    private ConnectionMultiplexer? _userService;
    private TokenCacheUnderTest? _parts;

    private IntrospectionCache Cache => _parts?.Cache ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync()
    {
        _postService = await ConnectionMultiplexer.ConnectAsync((await fixture.GetEnvironmentAsync(BlogResources.PostService))["ConnectionStrings__redis"]);
        _userService = await ConnectionMultiplexer.ConnectAsync((await fixture.GetEnvironmentAsync(BlogResources.UserService))["ConnectionStrings__redis"]);
        _postService.RegisterProfiler(() => _commands);
        _parts = new TokenCacheUnderTest(
            _postService, TokenCacheUnderTest.Settings(cacheKeyPrefix: _prefix), _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    [Fact]
    public async Task A_hit_is_one_command_under_the_post_services_account()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var hash = await StoreInRedisAsync($"user-{Guid.NewGuid():N}", $"login-{Guid.NewGuid():N}", TimeSpan.FromMinutes(1));

        var commands = await LookUpCountingCommandsAsync(hash, timeout.Token);

        Assert.NotNull(commands.Entry);
        AssertOneScript(commands.Names);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("subject")]
    [InlineData("login")]
    public async Task A_marker_the_user_service_wrote_refuses_the_entry_in_that_one_command(string marked)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (subject, login) = ($"user-{Guid.NewGuid():N}", $"login-{Guid.NewGuid():N}");
        var hash = await StoreInRedisAsync(subject, login, issuedAgo: TimeSpan.FromMinutes(2));
        Assert.NotNull((await LookUpCountingCommandsAsync(hash, timeout.Token)).Entry); // not vacuous: a hit before the marker

        await MarkAsync(marked switch
        {
            "token" => RevocationContract.RevokedTokenKey(hash.Hex),
            "subject" => RevocationContract.RevokedSubjectKey(subject),
            _ => RevocationContract.RevokedAuthorizationKey(login),
        });

        var commands = await LookUpCountingCommandsAsync(hash, timeout.Token);
        Assert.Null(commands.Entry);
        AssertOneScript(commands.Names);
    }

    [Fact]
    public async Task A_subject_marker_refuses_the_tokens_issued_before_it_and_not_the_later_ones()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var subject = $"user-{Guid.NewGuid():N}";
        var earlier = await StoreInRedisAsync(subject, login: null, issuedAgo: TimeSpan.FromMinutes(2));
        var later = await StoreInRedisAsync(subject, login: null, issuedAgo: TimeSpan.FromSeconds(10));

        await MarkAsync(RevocationContract.RevokedSubjectKey(subject), DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.Null((await LookUpCountingCommandsAsync(earlier, timeout.Token)).Entry);
        Assert.NotNull((await LookUpCountingCommandsAsync(later, timeout.Token)).Entry);
    }

    [Fact]
    public async Task An_entry_whose_clear_subject_was_edited_in_redis_is_refused_not_read_past_its_marker()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var subject = $"user-{Guid.NewGuid():N}";
        var hash = await StoreInRedisAsync(subject, login: null, issuedAgo: TimeSpan.FromMinutes(2));
        await MarkAsync(RevocationContract.RevokedSubjectKey(subject));
        var key = hash.ToCacheKey(_prefix);
        var value = (byte[])(await _postService!.GetDatabase().StringGetAsync(key))!;
        var text = System.Text.Encoding.UTF8.GetString(value.AsSpan(32));
        // Whoever can write the post service's keys points the script at another (unrevoked) subject's marker: same
        // length, in the clear part and the JSON alike, so only the seal tells.
        var edited = value[..32].Concat(System.Text.Encoding.UTF8.GetBytes(text.Replace(subject, "x" + subject[1..], StringComparison.Ordinal))).ToArray();
        await _postService.GetDatabase().StringSetAsync(key, edited, TimeSpan.FromMinutes(1));

        Assert.Null((await LookUpCountingCommandsAsync(hash, timeout.Token)).Entry);
    }

    /// <summary>One command: the read script (EVAL or EVALSHA, whichever the client sends).</summary>
    private static void AssertOneScript(IReadOnlyList<string> commands)
        => Assert.Matches("^EVAL(SHA)?$", Assert.Single(commands));

    private async Task<(CachedIntrospection? Entry, IReadOnlyList<string> Names)> LookUpCountingCommandsAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        _commands.FinishProfiling(); // drops what came before
        var entry = await Cache.GetDistributedAsync(hash, cancellationToken);
        return (entry, _commands.FinishProfiling().Select(command => command.Command).ToList());
    }

    /// <summary>Stores an entry the way a validated token is stored (fire-and-forget) and waits until Redis has it.</summary>
    private async Task<TokenHash> StoreInRedisAsync(string subject, string? login, TimeSpan issuedAgo)
    {
        var hash = TokenHash.Compute($"token-{Guid.NewGuid():N}");
        _keys.Add(hash.ToCacheKey(_prefix));
        _keys.Add($"{_prefix}subject:{subject}");
        if (login is not null)
        {
            _keys.Add($"{_prefix}authorization:{login}");
        }

        Cache.Store(hash, Entry(subject, issuedAgo, DateTimeOffset.UtcNow, login));
        using var stored = new CancellationTokenSource(StoreTimeout);
        while (!await _postService!.GetDatabase().KeyExistsAsync(hash.ToCacheKey(_prefix)))
        {
            await Task.Delay(20, stored.Token);
        }

        return hash;
    }

    /// <summary>What the user service's publisher writes before it publishes, with its own account: the revocation time in Unix ms.</summary>
    private async Task MarkAsync(string markerKey, DateTimeOffset? revokedAt = null)
    {
        _keys.Add(markerKey);
        await _userService!.GetDatabase().StringSetAsync(markerKey, (revokedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds(), TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        if (_userService is not null)
        {
            // Markers only the user service may delete; the entries and indexes are the post service's.
            await _userService.GetDatabase().KeyDeleteAsync([.. _keys.Where(key => key.ToString().StartsWith("blog:revoked:", StringComparison.Ordinal))]);
            await _userService.DisposeAsync();
        }

        if (_postService is not null)
        {
            await _postService.GetDatabase().KeyDeleteAsync([.. _keys.Where(key => !key.ToString().StartsWith("blog:revoked:", StringComparison.Ordinal))]);
            _parts?.Dispose();
            await _postService.DisposeAsync();
        }

        await _services.DisposeAsync();
    }
}
