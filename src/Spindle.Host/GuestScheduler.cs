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
    public Task<T>? TryRunAsync<T>(Func<T> work)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        if (inFlight > _maxConcurrent)
        {
            Interlocked.Decrement(ref _inFlight);
            return null;
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        EnsureWorkers(inFlight);
        _work.Add(() =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
        return completion.Task;
    }

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
        foreach (var item in _work.GetConsumingEnumerable())
        {
            item();
        }
    }
}
