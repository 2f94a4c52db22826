using System.Buffers.Binary;
using System.Text;
using Wasmtime;

namespace Spindle.Host.Abi;

/// <summary>
/// Bounds-checked access to one instance's linear memory, and allocation through the guest's own allocator. The
/// memory and the allocator are looked up once per instance; memory may move when the guest grows it, so spans are
/// never kept across a call into the guest.
/// </summary>
internal sealed unsafe class GuestMemory
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Memory _memory;
    private readonly Func<int, int, int, int, int> _realloc;
    private readonly Action<int, int, int>? _free;

    // The memory's address and size, read once per host call and again after every call into the guest (which may
    // grow, and so move, the memory). Reading them per access costs two native calls each time.
    private byte* _base;
    private ulong _length;

    public GuestMemory(Memory memory, Func<int, int, int, int, int> realloc, Action<int, int, int>? free)
    {
        _memory = memory;
        _realloc = realloc;
        _free = free;
        Refresh();
    }

    /// <summary>The instance's exported memory this reads and writes.</summary>
    public Memory Memory => _memory;

    /// <summary>Finds the exports the ABI needs; <see langword="null"/> when the module lacks memory or an allocator.</summary>
    public static GuestMemory? FromInstance(Instance instance, out string? missing)
    {
        var memory = instance.GetMemory("memory");
        var realloc = instance.GetFunction<int, int, int, int, int>("canonical_abi_realloc")
            ?? instance.GetFunction<int, int, int, int, int>("cabi_realloc");
        missing = memory is null ? "memory" : realloc is null ? "canonical_abi_realloc (or cabi_realloc)" : null;
        if (missing is not null)
        {
            return null;
        }

        // Without canonical_abi_free (cabi_realloc-only toolchains) the host cannot free what it reads back.
        var free = instance.GetAction<int, int, int>("canonical_abi_free");
        return new GuestMemory(memory!, realloc!, free);
    }

    /// <summary>Re-reads the memory's address and size; call on entry to every host call.</summary>
    public void Refresh()
    {
        // Linear memory moves only when it grows, and growing changes its length: one native call when nothing changed.
        var length = (ulong)_memory.GetLength();
        if (length != _length || _base == null)
        {
            _base = (byte*)_memory.GetPointer();
            _length = length;
        }
    }

    public ReadOnlySpan<byte> Span(int pointer, int length)
    {
        Check(pointer, length);
        return new ReadOnlySpan<byte>(_base + (uint)pointer, length);
    }

    public byte[] ReadBytes(int pointer, int length) => Span(pointer, length).ToArray();

    /// <summary>Reads a string the guest passed in; invalid UTF-8 is a guest bug.</summary>
    public string ReadString(int pointer, int length)
    {
        var bytes = Span(pointer, length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new GuestAbiException("invalid utf-8 in a string passed to the host");
        }
    }

    public byte ReadByte(int pointer) => Span(pointer, 1)[0];

    public ushort ReadUInt16(int pointer) => BinaryPrimitives.ReadUInt16LittleEndian(Span(pointer, 2));

    public int ReadInt32(int pointer) => BinaryPrimitives.ReadInt32LittleEndian(Span(pointer, 4));

    public void WriteInt32(int pointer, int value) => BinaryPrimitives.WriteInt32LittleEndian(Writable(pointer, 4), value);

    public void WriteByte(int pointer, byte value) => Writable(pointer, 1)[0] = value;

    public Span<byte> Writable(int pointer, int length)
    {
        Check(pointer, length);
        return new Span<byte>(_base + (uint)pointer, length);
    }

    /// <summary>Allocates <paramref name="length"/> bytes in the guest (even 0, as Spin's host does) and returns the pointer.</summary>
    public int Allocate(int length, int align)
    {
        var pointer = _realloc(0, 0, align, length);
        Refresh(); // the allocator may have grown the memory

        // An allocator that returns an address outside memory is a guest bug, whatever the length: the canonical ABI
        // traps then too. Checking only non-empty blocks let an empty value through here and trapped on the copy.
        Check(pointer, length);
        return pointer;
    }

    /// <summary>Copies <paramref name="bytes"/> into a new guest allocation and returns its pointer.</summary>
    public int AllocateCopy(ReadOnlySpan<byte> bytes, int align = 1)
    {
        var pointer = Allocate(bytes.Length, align);
        bytes.CopyTo(Writable(pointer, bytes.Length));
        return pointer;
    }

    public int AllocateString(string text, out int length)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        length = bytes.Length;
        return AllocateCopy(bytes);
    }

    /// <summary>Frees a guest allocation the host was handed; a no-op for guests without <c>canonical_abi_free</c>.</summary>
    public void Free(int pointer, int size, int align)
    {
        if (_free is not null)
        {
            _free(pointer, size, align);
            Refresh();
        }
    }

    private void Check(int pointer, int length)
    {
        var end = (ulong)(uint)pointer + (ulong)(uint)length;
        if (length < 0 || end > _length)
        {
            throw new GuestAbiException($"guest passed memory range {(uint)pointer}+{(uint)length} outside its {_length}-byte memory");
        }
    }
}
