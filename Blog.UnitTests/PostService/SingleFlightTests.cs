using Blog.PostService.Authentication;

namespace Blog.UnitTests.PostService;

public sealed class SingleFlightTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Concurrent_callers_with_one_key_share_one_call()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        async Task<string> Work()
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return "principal";
        }

        using var timeout = new CancellationTokenSource(Timeout);
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(() => flights.RunAsync("token-hash", Work, timeout.Token))).ToArray();
        await WaitUntilAsync(() => Volatile.Read(ref calls) == 1 && flights.Count == 1, timeout.Token);
        // Give the other callers time to arrive while the first call is still running.
        await Task.Delay(100, timeout.Token);
        release.SetResult();
        var results = await Task.WhenAll(callers).WaitAsync(timeout.Token);

        Assert.Equal(1, calls);
        Assert.All(results, result => Assert.Equal("principal", result.Result));
        Assert.Single(results, result => !result.Joined);
        Assert.Equal(0, flights.Count);
    }

    [Fact]
    public async Task Different_keys_do_not_share()
    {
        var flights = new SingleFlight<int>();
        var calls = 0;

        using var timeout = new CancellationTokenSource(Timeout);
        await Task.WhenAll(
            flights.RunAsync("a", () => Task.FromResult(Interlocked.Increment(ref calls)), timeout.Token),
            flights.RunAsync("b", () => Task.FromResult(Interlocked.Increment(ref calls)), timeout.Token));

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_failure_reaches_the_waiters_of_that_call_but_is_not_cached()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        async Task<string> Failing()
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            throw new HttpRequestException("user service unreachable");
        }

        using var timeout = new CancellationTokenSource(Timeout);
        var first = flights.RunAsync("token-hash", Failing, timeout.Token);
        var joined = flights.RunAsync("token-hash", Failing, timeout.Token);
        release.SetResult();

        await Assert.ThrowsAsync<HttpRequestException>(() => first);
        await Assert.ThrowsAsync<HttpRequestException>(() => joined);
        Assert.Equal(1, calls);

        // The next caller retries instead of receiving the stored failure.
        var retried = await flights.RunAsync("token-hash", () => Task.FromResult("principal"), timeout.Token);
        Assert.Equal("principal", retried.Result);
        Assert.False(retried.Joined);
        Assert.Equal(0, flights.Count);
    }

    [Fact]
    public async Task A_waiter_gives_up_on_its_own_deadline_without_cancelling_the_call()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var timeout = new CancellationTokenSource(Timeout);
        var first = flights.RunAsync("token-hash", async () => { await release.Task; return "principal"; }, timeout.Token);
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flights.RunAsync("token-hash", () => Task.FromResult("other"), impatient.Token));

        release.SetResult();
        Assert.Equal("principal", (await first.WaitAsync(timeout.Token)).Result);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
