using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Wasmtime;

namespace Spindle.Components;

/// <summary>
/// The pages of a module's or component's linear memories that its instances write, learned from earlier instances
/// and made writable, one system call per run of pages, before a new instance runs (Linux only; elsewhere it does
/// nothing). Keep one per module or component, and pass each instance's memories in the same order every time.
/// Thread-safe. <see cref="Component"/> instances use one of their own.
/// </summary>
/// <remarks>
/// Wasmtime maps a memory's initial image copy-on-write. A guest that reads a page before writing it (the usual
/// case) first gets the image page mapped read-only, around the page it touched, and then a second fault to copy
/// it; replacing a mapped page makes the kernel flush it from every other core's TLB, an inter-processor interrupt
/// each time. A JavaScript component writes about a hundred image pages per request, so those flushes were a quarter
/// of the machine's time. <c>MADV_POPULATE_WRITE</c> on pages not yet mapped copies them straight into writable
/// pages, without the read-only step and without any flush. Which pages to populate is read from
/// <c>/proc/self/pagemap</c> just before a sampled instance is reset. Populating changes no byte the guest sees, and
/// the pages are reset with the rest of the memory when the instance ends.
/// </remarks>
public sealed class MemoryWorkingSet
{
    // Instances observed at first, then one in this many: enough to follow a guest whose requests differ, cheap
    // enough (one pagemap read per memory) not to show.
    private const int FirstObserved = 16;
    private const int ObserveEvery = 64;

    // The working set is what the last few observed instances wrote, so that one request that wrote a lot (a large
    // upload, say) stops costing the requests after it once a few more have been observed.
    private const int ObservationsKept = 8;

    // Populating more than this is no longer clearly cheaper than letting the guest fault the pages in.
    private const int MaxPages = 2048;

    // Written runs this close are populated as one, saving system calls for a page or two copied needlessly.
    private const int MergeGap = 2;

    private const int PageSize = 4096;
    private const int MadvisePopulateWrite = 23;
    private const int InvalidArgument = 22;
    private const ulong PagePresent = 1UL << 63;
    private const ulong FileOrSharedPage = 1UL << 61;
    private const ulong MappedExclusively = 1UL << 56;

    private static readonly bool Supported = OperatingSystem.IsLinux() && Environment.SystemPageSize == PageSize;
    private static SafeFileHandle? _pagemap;
    private static volatile bool _unavailable;

    private readonly Lock _gate = new();
    private readonly Queue<List<int>[]> _observations = new();
    private (int Start, int Count)[][] _runs = [];
    private long _instances;

    /// <summary>Whether this process can learn and populate working sets (Linux 5.14 or later, 4 KiB pages).</summary>
    public static bool Available => Supported && !_unavailable;

    /// <summary>
    /// Called for each new instance, before it runs: makes the learned pages of each memory writable, or, for an
    /// instance picked to be observed, leaves its memory alone and returns <see langword="true"/> (pass its memories
    /// to <see cref="Observe"/> before it is reset). Observed instances are not populated, so what they show is what
    /// the guest wrote, and a page no longer written drops out of the set.
    /// </summary>
    /// <param name="memories">The instance's memories, in the same order for every instance.</param>
    public bool Prefault(ReadOnlySpan<Memory> memories)
    {
        if (!Available)
        {
            return false;
        }

        var n = Interlocked.Increment(ref _instances);
        if (n <= FirstObserved || n % ObserveEvery == 0)
        {
            return true;
        }

        var runs = Volatile.Read(ref _runs);
        for (var m = 0; m < memories.Length && m < runs.Length; m++)
        {
            var memory = memories[m];
            var memoryRuns = runs[m];
            var start = memory.GetPointer();
            var pages = memory.GetLength() / PageSize;
            foreach (var (first, count) in memoryRuns)
            {
                var length = Math.Min(count, pages - first);
                if (length <= 0)
                {
                    break;
                }

                if (Madvise(start + ((nint)first * PageSize), (nuint)(length * PageSize), MadvisePopulateWrite) != 0)
                {
                    // A kernel without MADV_POPULATE_WRITE (before 5.14) says EINVAL: stop trying. Anything else
                    // (no memory just now, a signal) only ends this attempt; the guest faults the pages in itself.
                    _unavailable |= Marshal.GetLastPInvokeError() == InvalidArgument;
                    return false;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Records which pages each memory of an instance <see cref="Prefault"/> picked wrote; call it when the instance is
    /// done, before its store is disposed (which resets the memory).
    /// </summary>
    /// <param name="memories">The instance's memories, in the order given to <see cref="Prefault"/>.</param>
    public void Observe(ReadOnlySpan<Memory> memories)
    {
        if (!Available)
        {
            return;
        }

        var observation = new List<int>[memories.Length];
        for (var m = 0; m < memories.Length; m++)
        {
            if (WrittenPages(memories[m]) is not { } written)
            {
                return;
            }

            observation[m] = written;
        }

        lock (_gate)
        {
            _observations.Enqueue(observation);
            if (_observations.Count > ObservationsKept)
            {
                _observations.Dequeue();
            }

            Volatile.Write(ref _runs, Union());
        }
    }

    private (int Start, int Count)[][] Union()
    {
        var pages = new List<SortedSet<int>>();
        var total = 0;
        foreach (var observation in _observations)
        {
            for (var m = 0; m < observation.Length; m++)
            {
                while (pages.Count <= m)
                {
                    pages.Add([]);
                }

                var set = pages[m];
                foreach (var page in observation[m])
                {
                    if (total >= MaxPages)
                    {
                        break;
                    }

                    total += set.Add(page) ? 1 : 0;
                }
            }
        }

        return [.. pages.Select(Runs)];
    }

    private static (int Start, int Count)[] Runs(SortedSet<int> pages)
    {
        var runs = new List<(int Start, int Count)>();
        foreach (var page in pages)
        {
            if (runs.Count > 0 && page - (runs[^1].Start + runs[^1].Count) <= MergeGap)
            {
                runs[^1] = (runs[^1].Start, page - runs[^1].Start + 1);
            }
            else
            {
                runs.Add((page, 1));
            }
        }

        return [.. runs];
    }

    /// <summary>
    /// The pages of <paramref name="memory"/> the instance wrote: present, private to this mapping and not a file page
    /// (an image page only read is a file page; a zero-filled page only read is the kernel's shared zero page). <see langword="null"/> when <c>/proc/self/pagemap</c> cannot be read.
    /// </summary>
    internal static List<int>? WrittenPages(Memory memory)
    {
        if (Pagemap() is not { } pagemap)
        {
            return null;
        }

        var start = (ulong)memory.GetPointer();
        var pages = (int)((ulong)memory.GetLength() / PageSize);
        var entries = new ulong[pages];
        var bytes = MemoryMarshal.AsBytes(entries.AsSpan());
        var offset = (long)(start / PageSize * sizeof(ulong));
        for (var read = 0; read < bytes.Length;)
        {
            var n = RandomAccess.Read(pagemap, bytes[read..], offset + read);
            if (n <= 0)
            {
                return null;
            }

            read += n;
        }

        var written = new List<int>();
        for (var page = 0; page < pages; page++)
        {
            if ((entries[page] & (PagePresent | FileOrSharedPage | MappedExclusively)) == (PagePresent | MappedExclusively))
            {
                written.Add(page);
            }
        }

        return written;
    }

    private static SafeFileHandle? Pagemap()
    {
        if (Volatile.Read(ref _pagemap) is { } open)
        {
            return open;
        }

        try
        {
            var handle = File.OpenHandle("/proc/self/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (Interlocked.CompareExchange(ref _pagemap, handle, null) is { } other)
            {
                handle.Dispose();
                return other;
            }

            return handle;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _unavailable = true;
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
