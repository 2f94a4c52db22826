namespace Spindle.Host;

/// <summary>
/// One of the engine's guest instance slots (<see cref="HostOptions.MaxConcurrentInstances"/>), taken before a request
/// is read so that only admitted requests buffer their bodies. Pass it to
/// <see cref="GuestComponent.HandleHttpAsync(HttpGuestRequest, GuestInstanceLease)"/>, which frees the slot when the
/// instance ends, or dispose it to give the slot back unused. Disposing a lease already used does nothing.
/// </summary>
public sealed class GuestInstanceLease : IDisposable
{
    private readonly GuestScheduler _scheduler;
    private int _taken;

    internal GuestInstanceLease(GuestScheduler scheduler) => _scheduler = scheduler;

    /// <summary>Gives the slot back if the lease was not used.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _taken, 1) == 0)
        {
            _scheduler.Release();
        }
    }

    /// <summary>Whether the slot is one of <paramref name="scheduler"/>'s.</summary>
    internal bool IsFrom(GuestScheduler scheduler) => ReferenceEquals(scheduler, _scheduler);

    /// <summary>Hands the slot over to the work about to run in it; a lease runs one invocation only.</summary>
    internal void Take()
    {
        if (Interlocked.Exchange(ref _taken, 1) != 0)
        {
            throw new InvalidOperationException("the lease was already used or disposed; reserve a new one for each request");
        }
    }
}
