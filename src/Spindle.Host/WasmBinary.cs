namespace Spindle.Host;

/// <summary>
/// Reads what the host must know about a core module before Wasmtime compiles it: its memories' initial sizes, so a
/// module that cannot fit under <see cref="HostOptions.MaxMemoryBytes"/> is refused with a message naming the limit
/// rather than Wasmtime's pooling-allocator error. Anything it cannot read (a component, an encoding from a proposal
/// it does not know, a malformed file) yields <see langword="null"/> and is left to Wasmtime to report.
/// </summary>
internal static class WasmBinary
{
    private const int ImportSection = 2;
    private const int MemorySection = 5;
    private const int DefaultPageSizeLog2 = 16;

    /// <summary>The largest initial size, in bytes, of the memories the module defines or imports; 0 when it has none.</summary>
    public static long? InitialMemoryBytes(ReadOnlySpan<byte> module)
    {
        if (module.Length < 8 || !module[..8].SequenceEqual("\0asm\u0001\0\0\0"u8))
        {
            return null; // not a core module (a component has another version/layer)
        }

        var reader = new Reader(module[8..]);
        long largest = 0;
        while (!reader.AtEnd)
        {
            if (!reader.TryByte(out var id) || !reader.TryU32(out var size) || !reader.TryTake(size, out var content))
            {
                return null;
            }

            long? found = id switch
            {
                ImportSection => FromImports(new Reader(content)),
                MemorySection => FromMemories(new Reader(content)),
                _ => 0,
            };
            if (found is not { } bytes)
            {
                return null;
            }

            largest = Math.Max(largest, bytes);
        }

        return largest;
    }

    private static long? FromImports(Reader reader)
    {
        long largest = 0;
        if (!reader.TryU32(out var count))
        {
            return null;
        }

        for (var i = 0u; i < count; i++)
        {
            if (!reader.TryName() || !reader.TryName() || !reader.TryByte(out var kind))
            {
                return null;
            }

            switch (kind)
            {
                case 0x00 when reader.TryU32(out _): // function: type index
                    break;
                case 0x01 when reader.TryRefType() && reader.TryLimits(out _): // table
                    break;
                case 0x02 when reader.TryLimits(out var bytes): // memory
                    largest = Math.Max(largest, bytes);
                    break;
                case 0x03 when reader.TryValueType() && reader.TryByte(out _): // global: type, mutability
                    break;
                case 0x04 when reader.TryByte(out _) && reader.TryU32(out _): // tag: attribute, type index
                    break;
                default:
                    return null;
            }
        }

        return largest;
    }

    private static long? FromMemories(Reader reader)
    {
        long largest = 0;
        if (!reader.TryU32(out var count))
        {
            return null;
        }

        for (var i = 0u; i < count; i++)
        {
            if (!reader.TryLimits(out var bytes))
            {
                return null;
            }

            largest = Math.Max(largest, bytes);
        }

        return largest;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly bool AtEnd => _data.IsEmpty;

        public bool TryByte(out byte value)
        {
            value = 0;
            if (_data.IsEmpty)
            {
                return false;
            }

            value = _data[0];
            _data = _data[1..];
            return true;
        }

        public bool TryTake(uint length, out ReadOnlySpan<byte> taken)
        {
            taken = default;
            if (length > (uint)_data.Length)
            {
                return false;
            }

            taken = _data[..(int)length];
            _data = _data[(int)length..];
            return true;
        }

        public bool TryU32(out uint value)
        {
            var ok = TryUnsigned(5, out var wide) && wide <= uint.MaxValue;
            value = (uint)wide;
            return ok;
        }

        public bool TryName() => TryU32(out var length) && TryTake(length, out _);

        // Limits: flags (bit 0 has-max, bit 1 shared, bit 2 64-bit, bit 3 custom page size), min, [max], [page size log2].
        public bool TryLimits(out long initialBytes)
        {
            initialBytes = 0;
            if (!TryByte(out var flags) || flags > 0x0F)
            {
                return false;
            }

            var wide = (flags & 0x04) != 0;
            if (!TryUnsigned(wide ? 10 : 5, out var minimum) || ((flags & 0x01) != 0 && !TryUnsigned(wide ? 10 : 5, out _)))
            {
                return false;
            }

            var pageSizeLog2 = (uint)DefaultPageSizeLog2;
            if ((flags & 0x08) != 0 && (!TryU32(out pageSizeLog2) || pageSizeLog2 > DefaultPageSizeLog2))
            {
                return false;
            }

            // Saturate: a minimum past what a long can say is past every limit anyway.
            initialBytes = minimum > (ulong)(long.MaxValue >> (int)pageSizeLog2) ? long.MaxValue : (long)(minimum << (int)pageSizeLog2);
            return true;
        }

        public bool TryRefType() => TryByte(out var code) && (code is 0x70 or 0x6F || (code is 0x63 or 0x64 && TrySigned33()));

        public bool TryValueType()
        {
            if (!TryByte(out var code))
            {
                return false;
            }

            return code switch
            {
                >= 0x7B and <= 0x7F => true, // i32, i64, f32, f64, v128
                0x70 or 0x6F => true,
                0x63 or 0x64 => TrySigned33(),
                _ => false,
            };
        }

        private bool TrySigned33() => TryUnsigned(5, out _);

        private bool TryUnsigned(int maxBytes, out ulong value)
        {
            value = 0;
            for (var i = 0; i < maxBytes; i++)
            {
                if (!TryByte(out var b))
                {
                    return false;
                }

                value |= (ulong)(b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
