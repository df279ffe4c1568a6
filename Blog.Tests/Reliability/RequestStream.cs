using System.Collections.Concurrent;
using System.Diagnostics;

namespace Blog.Tests.Reliability;

/// <summary>What one request of a <see cref="RequestStream"/> got: an answer, or a failure (no answer within the bound, refused).</summary>
internal sealed record StreamOutcome(
    long Sequence,
    Uri Replica,
    TimeSpan StartedAt,
    TimeSpan Elapsed,
    int? Status,
    string? ContentType,
    bool HasRetryAfter,
    string Body,
    string? Failure)
{
    public TimeSpan FinishedAt => StartedAt + Elapsed;

    public override string ToString()
        => $"#{Sequence} {Replica.Authority} at {StartedAt.TotalSeconds:F1}s took {Elapsed.TotalMilliseconds:F0} ms: "
           + (Failure ?? $"{Status} {ContentType} retry-after={HasRetryAfter} {Body[..Math.Min(Body.Length, 200)]}");
}

/// <summary>
/// A steady background stream of requests, one loop per replica (each on that replica's own address), until stopped.
/// Every request is bounded: one that is not answered within the bound is recorded as a failure, never awaited further.
/// The stream's clock (<see cref="Now"/>) is what tests mark their faults with, to tell the outcomes before, during and after.
/// </summary>
internal sealed class RequestStream : IAsyncDisposable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<StreamOutcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loops;
    private long _sequence;

    private RequestStream(IReadOnlyList<HttpClient> replicas, Func<long, HttpRequestMessage> createRequest, TimeSpan requestBound)
        => _loops = Task.WhenAll(replicas.Select(replica => Task.Run(() => LoopAsync(replica, createRequest, requestBound))));

    public static RequestStream Start(IReadOnlyList<HttpClient> replicas, Func<long, HttpRequestMessage> createRequest, TimeSpan requestBound)
        => new(replicas, createRequest, requestBound);

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<StreamOutcome> Outcomes => [.. _outcomes.OrderBy(outcome => outcome.Sequence)];

    /// <summary>Waits (bounded) until the outcomes so far satisfy <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<StreamOutcome>, bool> condition, string what, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (!condition(Outcomes))
        {
            if (_loops.IsCompleted)
            {
                await _loops; // a loop that died says why
            }

            try
            {
                await Task.Delay(50, cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The request stream did not reach '{what}' in {timeout}. Last outcomes:\n"
                    + string.Join('\n', Outcomes.TakeLast(10)));
            }
        }
    }

    /// <summary>Stops sending, waits for the requests in flight (each is bounded) and returns every outcome.</summary>
    public async Task<IReadOnlyList<StreamOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loops;
        return Outcomes;
    }

    private async Task LoopAsync(HttpClient replica, Func<long, HttpRequestMessage> createRequest, TimeSpan requestBound)
    {
        while (!_stop.IsCancellationRequested)
        {
            var sequence = Interlocked.Increment(ref _sequence);
            var startedAt = _clock.Elapsed;
            using var bound = new CancellationTokenSource(requestBound);
            try
            {
                using var request = createRequest(sequence);
                using var response = await replica.SendAsync(request, bound.Token);
                var body = await response.Content.ReadAsStringAsync(bound.Token);
                _outcomes.Enqueue(new StreamOutcome(sequence, replica.BaseAddress!, startedAt, _clock.Elapsed - startedAt,
                    (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null, body, null));
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
            {
                var failure = bound.IsCancellationRequested ? $"no answer within {requestBound}" : $"{exception.GetType().Name}: {exception.Message}";
                _outcomes.Enqueue(new StreamOutcome(sequence, replica.BaseAddress!, startedAt, _clock.Elapsed - startedAt, null, null, false, "", failure));
            }

            try
            {
                await Task.Delay(Pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loops;
        _stop.Dispose();
    }
}
