using System.Collections.Concurrent;

namespace Spindle.Host;

/// <summary>
/// Runs guest invocations on dedicated threads (never the .NET thread pool: a guest blocks its thread for as long
/// as it runs) and caps how many run at once. Work past the cap is refused, not queued.
/// </summary>
internal sealed class GuestScheduler : IDisposable
{
    // Wasmtime runs guest code on the calling thread's stack; give it room beyond the guest's own stack limit.
    private const int ThreadStackBytes = 8 * 1024 * 1024;

    private readonly BlockingCollection<Action> _work = new(new ConcurrentQueue<Action>());
    private readonly int _maxConcurrent;
    private readonly Lock _gate = new();
    private int _inFlight;
    private int _threads;

    public GuestScheduler(int maxConcurrent) => _maxConcurrent = maxConcurrent;

    /// <summary>Starts <paramref name="work"/> on a guest thread, or returns <see langword="null"/> when at the cap.</summary>
    public Task<T>? TryRunAsync<T>(Func<T> work) => TryReserve() is { } lease ? RunAsync(lease, work) : null;

    /// <summary>
    /// Takes one slot under the cap, or returns <see langword="null"/> when every slot is taken. The slot stays taken
    /// until the work run with it (<see cref="RunAsync"/>) finishes, or until the lease is disposed unused.
    /// </summary>
    public GuestInstanceLease? TryReserve()
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        if (inFlight > _maxConcurrent)
        {
            Interlocked.Decrement(ref _inFlight);
            return null;
        }

        // A reserved slot counts as in flight, so there is a thread for it by the time its work is queued.
        EnsureWorkers(inFlight);
        return new GuestInstanceLease(this);
    }

    /// <summary>Starts <paramref name="work"/> on a guest thread in the slot <paramref name="lease"/> holds; the slot is freed when it ends.</summary>
    /// <exception cref="ArgumentException">The lease is another scheduler's.</exception>
    /// <exception cref="InvalidOperationException">The lease was already used or disposed.</exception>
    public Task<T> RunAsync<T>(GuestInstanceLease lease, Func<T> work)
    {
        if (!lease.IsFrom(this))
        {
            throw new ArgumentException("the lease was reserved from another engine; reserve it from the component that runs the request", nameof(lease));
        }

        lease.Take();
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            // The slot is freed before the caller hears of the result, so a client that sends its next request as
            // soon as it has an answer never finds this slot still taken (a spurious 503 at the cap).
            T result;
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                Release();
                completion.SetException(ex);
                return;
            }

            Release();
            completion.SetResult(result);
        });
        return completion.Task;
    }

    /// <summary>Frees a slot taken by <see cref="TryReserve"/>.</summary>
    internal void Release() => Interlocked.Decrement(ref _inFlight);

    public void Dispose() => _work.CompleteAdding();

    // Threads never exit, and there are always at least as many as items in flight, so every queued item has a
    // thread that is free or about to be. The pool grows to the peak concurrency seen, at most the cap.
    private void EnsureWorkers(int inFlight)
    {
        lock (_gate)
        {
            while (_threads < inFlight)
            {
                _threads++;
                new Thread(Work, ThreadStackBytes) { IsBackground = true, Name = "spindle-guest" }.Start();
            }
        }
    }

    private void Work()
    {
        while (RunNext())
        {
        }
    }

    // One item per call, so that no local or enumerator of the loop keeps the last item (and the request body its
    // closure holds) alive while the thread waits for the next one. Issue #6
    private bool RunNext()
    {
        if (!_work.TryTake(out var item, Timeout.Infinite))
        {
            return false;
        }

        item();
        return true;
    }
}
