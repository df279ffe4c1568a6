using System.Diagnostics;
using System.Security.Claims;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Blog.Benchmarks;

/// <summary>Nanoseconds per operation: the median of the rounds.</summary>
public sealed record SealCostResult(int Operations, int Rounds, int EntryBytes, double SealNs, double OpenNs, double VerifyNs, double DeserializeNs, double MemoryHitNs)
{
    /// <summary>Managed bytes one in-process entry holds (its key, the cache's bookkeeping, the entry and its claims).</summary>
    public double MemoryPerEntryBytes { get; init; }

    public int MemoryEntries { get; init; }
}

/// <summary>
/// What the token cache's entry seal costs, in process (no I/O, so the figures are not drowned in a round trip): sealing
/// an entry (each Redis write), opening one (each Redis hit: MAC check and JSON), the JSON alone (what a Redis hit cost
/// before the seal), and an in-process hit (the memory level's lookup and usability check, which has no seal to pay).
/// </summary>
public static class SealCost
{
    public static SealCostResult Measure(int operations = 200_000, int rounds = 5)
    {
        var options = Options.Create(new TokenValidationOptions { CacheEntryKey = Convert.ToHexString(Guid.NewGuid().ToByteArray()) + Convert.ToHexString(Guid.NewGuid().ToByteArray()) });
        var seal = new CacheEntrySeal(options);
        using var memory = new TokenMemoryLevel(options);
        var hash = TokenHash.Compute("a-benchmark-token-" + Guid.NewGuid());
        var entry = TypicalEntry(DateTimeOffset.UtcNow);
        var sealedEntry = seal.Seal(hash, entry);
        var json = entry.Serialize();
        memory.Set(hash, entry);
        var now = DateTimeOffset.UtcNow;

        // Interleaved rounds: a machine whose load drifts affects every operation alike.
        var medians = Medians(rounds, operations,
        [
            () => seal.Seal(hash, entry),
            () => seal.Open(hash, sealedEntry) ?? throw new InvalidOperationException("The seal did not open."),
            () => seal.Verifies(hash, sealedEntry) ? 1 : throw new InvalidOperationException("The seal did not verify."),
            () => CachedIntrospection.Deserialize(json) ?? throw new InvalidOperationException("No entry."),
            () => memory.TryGet(hash, out var found) && found.IsUsableAt(now) ? found : throw new InvalidOperationException("No hit."),
        ]);
        const int entries = 10_000;
        return new SealCostResult(operations, rounds, sealedEntry.Length, medians[0], medians[1], medians[2], medians[3], medians[4])
        {
            MemoryPerEntryBytes = MemoryPerEntry(options, entries),
            MemoryEntries = entries,
        };
    }

    /// <summary>
    /// The managed heap after a full collection, before and after filling an in-process level with this many entries
    /// (each with its own subject, login and token id, as distinct tokens have), divided by their number.
    /// </summary>
    private static double MemoryPerEntry(IOptions<TokenValidationOptions> options, int count)
    {
        using var memory = new TokenMemoryLevel(options);
        var now = DateTimeOffset.UtcNow;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var index = 0; index < count; index++)
        {
            memory.Set(TokenHash.Compute($"a-benchmark-token-{index}-{Guid.NewGuid()}"), TypicalEntry(now));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(memory);
        return (after - before) / (double)count;
    }

    /// <summary>An entry shaped like the post service's: the claims introspection returns for an author's token.</summary>
    private static CachedIntrospection TypicalEntry(DateTimeOffset now)
    {
        const string issuer = "http://userservice/";
        string[][] claims =
        [
            ["sub", Guid.NewGuid().ToString()], ["name", "Some Writer"], ["preferred_username", "some-writer"], ["role", "author"],
            ["scope", "openid"], ["scope", "posts"], ["aud", "post-service"], ["client_id", "blog-client"], ["sid", Guid.NewGuid().ToString()],
            ["oi_tkn_typ", "access_token"], ["iat", now.ToUnixTimeSeconds().ToString()], ["exp", now.AddHours(1).ToUnixTimeSeconds().ToString()],
            ["jti", Guid.NewGuid().ToString()], ["iss", issuer],
        ];
        return new CachedIntrospection("AuthenticationTypes.Federation", "name", "role",
            [.. claims.Select(claim => new CachedClaim(claim[0], claim[1], ClaimValueTypes.String, issuer, issuer))],
            now.AddHours(1), now.AddMinutes(5), claims[0][1], now, claims[8][1], now);
    }

    private static double[] Medians(int rounds, int operations, Func<object>[] measured)
    {
        foreach (var operation in measured)
        {
            for (var warmup = 0; warmup < operations / 10; warmup++)
            {
                GC.KeepAlive(operation());
            }
        }

        var perRound = measured.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var which = 0; which < measured.Length; which++)
            {
                var operation = measured[which];
                var started = Stopwatch.GetTimestamp();
                for (var index = 0; index < operations; index++)
                {
                    GC.KeepAlive(operation());
                }

                perRound[which].Add(Stopwatch.GetElapsedTime(started).TotalNanoseconds / operations);
            }
        }

        return [.. perRound.Select(times => times.Order().ElementAt(times.Count / 2))];
    }

    public static string ToMarkdown(SealCostResult result) => $"""
        Token cache entry seal, in process ({result.Operations:N0} operations per round, median of {result.Rounds} rounds, an author's entry of {result.EntryBytes} bytes sealed):

        | operation | ns per operation | when it is paid |
        |---|---:|---|
        | seal (HMAC-SHA-256 over token hash and entry, JSON included) | {result.SealNs:F0} | each write to Redis |
        | open (MAC check and JSON) | {result.OpenNs:F0} | each Redis hit |
        | MAC check alone (the seal's share of a Redis hit) | {result.VerifyNs:F0} | each Redis hit |
        | JSON alone (a Redis hit before the seal) | {result.DeserializeNs:F0} | each Redis hit, before |
        | in-process hit (memory level lookup and usability check) | {result.MemoryHitNs:F0} | each in-process hit: no seal to check |
        """;
}
