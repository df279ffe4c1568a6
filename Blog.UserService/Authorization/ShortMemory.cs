using System.Collections.Concurrent;

namespace Blog.UserService.Authorization;

/// <summary>
/// What the user service remembers about its clients for a short while (<see cref="VerifiedClientSecrets"/>,
/// <see cref="RecentClients"/>): entries by key that end after a lifetime read from the options at each write (zero
/// remembers nothing), at most <paramref name="capacity"/> of them (beyond it, ended ones are swept and a new key is
/// simply not remembered: the caller does the work uncached).
/// </summary>
internal sealed class ShortMemory<TValue>(TimeProvider timeProvider, Func<TimeSpan> lifetime, int capacity)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string key, out TValue value)
    {
        value = default!;
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        if (timeProvider.GetUtcNow() >= entry.EndsAt)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            return false;
        }

        value = entry.Value;
        return true;
    }

    public void Set(string key, TValue value)
    {
        var span = lifetime();
        if (span <= TimeSpan.Zero)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (_entries.Count >= capacity && !_entries.ContainsKey(key))
        {
            foreach (var (staleKey, stale) in _entries)
            {
                if (now >= stale.EndsAt)
                {
                    _entries.TryRemove(new KeyValuePair<string, Entry>(staleKey, stale));
                }
            }

            if (_entries.Count >= capacity)
            {
                return;
            }
        }

        _entries[key] = new Entry(value, now + span);
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    private sealed record Entry(TValue Value, DateTimeOffset EndsAt);
}
