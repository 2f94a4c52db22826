using System.Buffers.Binary;
using Wasmtime;

namespace Spindle.Components.Runtime;

/// <summary>
/// Bounds-checked access to a core instance's linear memory, with the guest's realloc. The memory's address is
/// re-read after every call into the guest (realloc may grow, and so move, it), never kept across one.
/// </summary>
internal sealed unsafe class GuestMemory
{
    private readonly Memory _memory;
    private readonly Func<int, int, int, int, int>? _realloc;
    private byte* _base;
    private ulong _length;

    public GuestMemory(Memory memory, Function? realloc)
    {
        _memory = memory;
        _realloc = realloc?.WrapFunc<int, int, int, int, int>()
            ?? (realloc is null ? null : throw new ComponentLoadException("the realloc option names a function whose type is not (i32, i32, i32, i32) -> i32"));
        Refresh();
    }

    public ulong Length => _length;

    public void Refresh()
    {
        var length = (ulong)_memory.GetLength();
        if (length != _length || _base == null)
        {
            _base = (byte*)_memory.GetPointer();
            _length = length;
        }
    }

    /// <summary>Asks the guest for <paramref name="size"/> bytes aligned to <paramref name="alignment"/>; the result is checked.</summary>
    public int Allocate(int alignment, int size)
    {
        if (_realloc is null)
        {
            throw new ComponentTrapException("the host must allocate guest memory for this call, but the import was lowered without a realloc option");
        }

        var pointer = _realloc(0, 0, alignment, size);
        Refresh();
        if ((uint)pointer % (uint)alignment != 0)
        {
            throw new ComponentTrapException($"realloc returned {(uint)pointer}, which is not aligned to {alignment}");
        }

        Check(pointer, size);
        return pointer;
    }

    public void Check(int pointer, long length)
    {
        if ((ulong)(uint)pointer + (ulong)length > _length || length < 0)
        {
            throw new ComponentTrapException($"the guest passed memory range {(uint)pointer}..{(uint)pointer + (ulong)length}, outside its {_length}-byte linear memory");
        }
    }

    public Span<byte> Span(int pointer, int length)
    {
        Check(pointer, length);
        return new Span<byte>(_base + (uint)pointer, length);
    }

    public byte U8(int pointer)
    {
        Check(pointer, 1);
        return _base[(uint)pointer];
    }

    public ushort U16(int pointer) => BinaryPrimitives.ReadUInt16LittleEndian(Span(pointer, 2));

    public uint U32(int pointer) => BinaryPrimitives.ReadUInt32LittleEndian(Span(pointer, 4));

    public ulong U64(int pointer) => BinaryPrimitives.ReadUInt64LittleEndian(Span(pointer, 8));

    public void WriteU8(int pointer, byte value)
    {
        Check(pointer, 1);
        _base[(uint)pointer] = value;
    }

    public void WriteU16(int pointer, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Span(pointer, 2), value);

    public void WriteU32(int pointer, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Span(pointer, 4), value);

    public void WriteU64(int pointer, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Span(pointer, 8), value);
}
