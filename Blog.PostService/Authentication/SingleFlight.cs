using System.Collections.Concurrent;

namespace Blog.PostService.Authentication;

/// <summary>
/// Per-key request coalescing: concurrent callers with the same key share the first caller's work. Nothing is kept
/// once the work ends, so a failure (or a cancellation) is never cached: the next caller starts afresh. A caller that
/// joins waits under its own cancellation token only, never longer than it chose to.
/// </summary>
public sealed class SingleFlight<TResult>
{
    private readonly ConcurrentDictionary<string, Task<TResult>> _flights = new(StringComparer.Ordinal);

    /// <summary>Work currently in flight (for tests and diagnostics).</summary>
    public int Count => _flights.Count;

    /// <summary>
    /// Runs <paramref name="work"/> unless a flight for <paramref name="key"/> is already running, in which case its
    /// outcome (result or exception) is shared. <c>Joined</c> tells whether this caller shared someone else's work.
    /// </summary>
    public async Task<(TResult Result, bool Joined)> RunAsync(string key, Func<Task<TResult>> work, CancellationToken waitCancellation)
    {
        var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _flights.GetOrAdd(key, completion.Task);
        if (!ReferenceEquals(flight, completion.Task))
        {
            return (await flight.WaitAsync(waitCancellation), true);
        }

        try
        {
            var result = await work();
            // Removed before completing so that nobody can join a finished flight.
            _flights.TryRemove(new KeyValuePair<string, Task<TResult>>(key, completion.Task));
            completion.SetResult(result);
            return (result, false);
        }
        catch (Exception exception)
        {
            _flights.TryRemove(new KeyValuePair<string, Task<TResult>>(key, completion.Task));
            completion.SetException(exception);
            // Observed here so an exception nobody joined does not surface as an unobserved task exception.
            _ = completion.Task.Exception;
            throw;
        }
    }
}
