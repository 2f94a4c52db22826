using System.Diagnostics;

namespace Spindle.Core;

/// <summary>
/// The deadline of the key-value calls made on the current thread. The host sets it around each guest invocation
/// (its <c>--request-timeout</c>); stores bound every wait by it (a lock, a connect, a network round trip), so a
/// guest whose backend stopped answering gets <see cref="KeyValueErrorKind.Io"/> by its deadline and its thread is
/// free again. The store interface stays synchronous (docs/threading.md): the deadline travels with the thread,
/// because every guest invocation runs on one dedicated thread from start to end.
/// </summary>
/// <remarks>Without a scope there is no deadline, and waits are bounded by the backend's own settings only.</remarks>
public static class KeyValueDeadline
{
    // Stopwatch timestamps: monotonic, unaffected by clock changes. 0 means no deadline.
    [ThreadStatic]
    private static long _threadDeadline;

    /// <summary>Whether the current thread has a deadline.</summary>
    public static bool IsSet => _threadDeadline != 0;

    /// <summary>
    /// Sets the current thread's deadline to <paramref name="timeout"/> from now (or keeps an earlier one) until the
    /// returned scope is disposed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public static Scope Enter(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var previous = _threadDeadline;
        var deadline = Stopwatch.GetTimestamp() + (long)Math.Min(timeout.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 4);
        _threadDeadline = previous != 0 && previous < deadline ? previous : deadline;
        return new Scope(previous);
    }

    /// <summary>
    /// The current thread's deadline as a <see cref="Stopwatch"/> timestamp, 0 without one: for a caller that hands
    /// its work to another thread and waits for it only until its own deadline (see <see cref="MillisecondsUntil"/>).
    /// </summary>
    public static long Timestamp => _threadDeadline;

    /// <summary>
    /// The wait, in whole milliseconds rounded up, from now until <paramref name="timestamp"/> (a
    /// <see cref="Timestamp"/>): <see cref="Timeout.Infinite"/> for 0 (no deadline), 0 once it has passed.
    /// </summary>
    public static int MillisecondsUntil(long timestamp)
    {
        if (timestamp == 0)
        {
            return Timeout.Infinite;
        }

        var left = timestamp - Stopwatch.GetTimestamp();
        return left <= 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(left * 1000.0 / Stopwatch.Frequency));
    }

    /// <summary>
    /// The time left, or <see langword="null"/> without a deadline; <see cref="TimeSpan.Zero"/> once it has passed.
    /// </summary>
    public static TimeSpan? Remaining
    {
        get
        {
            var deadline = _threadDeadline;
            if (deadline == 0)
            {
                return null;
            }

            var left = deadline - Stopwatch.GetTimestamp();
            return left <= 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, left);
        }
    }

    /// <summary>
    /// <paramref name="wait"/>, shortened to the time left before the deadline. <see cref="Timeout.InfiniteTimeSpan"/>
    /// stands for no limit of its own.
    /// </summary>
    public static TimeSpan Bound(TimeSpan wait)
    {
        if (Remaining is not { } left)
        {
            return wait;
        }

        return wait == Timeout.InfiniteTimeSpan || left < wait ? left : wait;
    }

    /// <summary>Throws <see cref="KeyValueErrorKind.Io"/> when the deadline has passed, so no new call starts after it.</summary>
    /// <param name="operation">The call refused, for the message (for example <c>get</c>).</param>
    /// <param name="label">The store's label.</param>
    public static void ThrowIfPassed(string operation, string label)
    {
        var deadline = _threadDeadline;
        if (deadline != 0 && Stopwatch.GetTimestamp() >= deadline)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"{operation} on store '{label}' was not started: the request's deadline has passed (see --request-timeout)");
        }
    }

    /// <summary>Restores the deadline that was in force before <see cref="Enter"/>.</summary>
    public readonly struct Scope : IDisposable, IEquatable<Scope>
    {
        private readonly long _previous;

        internal Scope(long previous) => _previous = previous;

        /// <inheritdoc/>
        public void Dispose() => _threadDeadline = _previous;

        /// <inheritdoc/>
        public bool Equals(Scope other) => _previous == other._previous;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Scope other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => _previous.GetHashCode();

        /// <summary>Compares two scopes.</summary>
        public static bool operator ==(Scope left, Scope right) => left.Equals(right);

        /// <summary>Compares two scopes.</summary>
        public static bool operator !=(Scope left, Scope right) => !left.Equals(right);
    }
}
