namespace Spindle.Trigger.Http;

/// <summary>
/// Gives the memory of large request and response bodies back to the operating system once they are no longer in
/// use. A body is one array of its exact size on the large object heap; after a burst of uploads nothing else
/// allocates, so no collection would run and the process would stay at its peak size. When the last request
/// holding a large body ends, one collection that compacts the large object heap and decommits free memory runs
/// shortly after, unless another large request has started meanwhile.
/// </summary>
internal sealed class LargeBufferCollector(TimeSpan delay)
{
    /// <summary>A body at least this large counts as large.</summary>
    public const int LargeBytes = 1024 * 1024;

    private int _inFlight;
    private int _scheduled;
    private int _collections;

    /// <summary>How many collections have run.</summary>
    public int Collections => Volatile.Read(ref _collections);

    /// <summary>Counts a request holding a body of <paramref name="length"/> bytes if it is large; call <see cref="Leave"/> when it ends, if this returned <see langword="true"/>.</summary>
    public bool TryEnter(long length)
    {
        if (length < LargeBytes)
        {
            return false;
        }

        Interlocked.Increment(ref _inFlight);
        return true;
    }

    /// <summary>Ends a request counted by <see cref="TryEnter"/>.</summary>
    public void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _ = CollectWhenQuietAsync();
        }
    }

    private async Task CollectWhenQuietAsync()
    {
        await Task.Delay(delay).ConfigureAwait(false);
        Volatile.Write(ref _scheduled, 0);
        if (Volatile.Read(ref _inFlight) == 0)
        {
            // Aggressive: blocking, compacting (the large object heap too), and returning free memory to the OS.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Interlocked.Increment(ref _collections);
        }
    }
}
