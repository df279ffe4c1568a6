using Blog.ServiceDefaults.RateLimiting;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// Rejected bearer values per client address, section <c>RateLimiting:RejectedTokens</c>: once a client had this many
/// refused in a window, its unknown tokens are refused without introspection until the window ends.
/// </summary>
public sealed class RejectedTokenLimitOptions : FixedWindowLimit
{
    public const string SectionName = "RateLimiting:RejectedTokens";

    public RejectedTokenLimitOptions()
    {
        PermitLimit = 60;
        Window = TimeSpan.FromMinutes(1);
    }
}

/// <summary>
/// What keeps junk from costing the user service introspections: a shape check (the user service issues encrypted
/// JWTs, JWE compact serialization: five base64url segments, a few kilobytes at most) and a bound, shared by every
/// replica through Redis, on the rejected tokens each client address may send.
/// </summary>
public sealed class UnknownTokenGuard(SharedRateLimiter limiter, IOptions<RejectedTokenLimitOptions> options)
{
    /// <summary>Far above any token the user service issues (about 1-2 KB), far below Kestrel's header limit.</summary>
    public const int MaxTokenLength = 8 * 1024;

    /// <summary>True when the value could be a token of this issuer: five base64url segments, header, IV, ciphertext and tag not empty.</summary>
    public static bool HasIssuerTokenShape(string token)
    {
        if (token.Length > MaxTokenLength)
        {
            return false;
        }

        Span<Range> segments = stackalloc Range[6];
        var span = token.AsSpan();
        if (span.Split(segments, '.') != 5)
        {
            return false;
        }

        for (var index = 0; index < 5; index++)
        {
            var segment = span[segments[index]];
            // The second segment (the encrypted key) may be empty with direct encryption; the others never are.
            if (segment.IsEmpty && index != 1)
            {
                return false;
            }

            foreach (var character in segment)
            {
                if (!char.IsAsciiLetterOrDigit(character) && character is not ('-' or '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>How long the client must wait before an unknown token of its is introspected again; null when it may.</summary>
    public async Task<TimeSpan?> GetWaitAsync(HttpContext context)
    {
        var count = await limiter.CountAsync(Key(context), 0, options.Value.Window);
        return count.Count >= options.Value.PermitLimit ? count.Remaining : null;
    }

    public Task CountRejectedAsync(HttpContext context) => limiter.CountAsync(Key(context), 1, options.Value.Window);

    private static string Key(HttpContext context) => $"rejected-tokens:{ClientAddresses.PartitionOf(context)}";
}
