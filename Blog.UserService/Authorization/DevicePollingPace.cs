using System.Security.Cryptography;
using System.Text;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using StackExchange.Redis;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Blog.UserService.Authorization;

/// <summary>
/// A device polling the token endpoint faster than the interval it was given gets <c>slow_down</c> (RFC 8628 section
/// 3.5), which OpenIddict does not do itself. The last poll of each device code is remembered in Redis (a hash of
/// the code, never the code), so every replica sees it; while Redis is unreachable, polls are not paced.
/// </summary>
public sealed partial class DevicePollingPace(IConnectionMultiplexer redis, ILogger<DevicePollingPace> logger)
    : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    /// <summary>The interval RFC 8628 gives a device that was told none (section 3.2), and the one Blog expects.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private const string KeyPrefix = "blog:device-poll:";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<DevicePollingPace>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        if (!context.Request.IsDeviceCodeGrantType() || string.IsNullOrEmpty(context.Request.DeviceCode) || !redis.IsConnected)
        {
            return;
        }

        var key = KeyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(context.Request.DeviceCode!)));
        bool first;
        try
        {
            first = await redis.GetDatabase().StringSetAsync(key, 1, Interval, When.NotExists);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogUnpaced(exception);
            return;
        }

        if (!first)
        {
            context.Reject(Errors.SlowDown, $"Poll at most every {Interval.TotalSeconds:0} seconds.");
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis is unreachable: device polls are not paced until it is back")]
    private partial void LogUnpaced(Exception exception);
}
