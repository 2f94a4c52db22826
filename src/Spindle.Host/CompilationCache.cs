using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Spindle.Host;

/// <summary>
/// The on-disk cache of compiled modules (docs/host.md, "Compilation cache"). An entry is native code that Wasmtime
/// maps and runs, so nothing in it is trusted: each entry carries a header naming the module it was compiled from,
/// the engine that compiled it and a digest of its body, all checked before Wasmtime sees a byte; and the folder is
/// used only when no other user can write to it.
/// </summary>
internal sealed partial class CompilationCache
{
    /// <summary>Bumped whenever the header layout changes; an entry of another version is recompiled.</summary>
    public const int FormatVersion = 1;

    // Header, little-endian: magic (8) | format version u32 | SHA-256 of the source module (32) |
    // SHA-256 of the body (32) | body length u64 | fingerprint length u16 | fingerprint (UTF-8) | body.
    private const int FixedHeaderSize = 8 + 4 + 32 + 32 + 8 + 2;

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory;
    private readonly string _fingerprint;
    private readonly ILogger _logger;
    private readonly Lazy<bool> _usable;

    public CompilationCache(string directory, string fingerprint, ILogger logger)
    {
        _directory = directory;
        _fingerprint = fingerprint;
        _logger = logger;

        // Checked once per engine, at the first compile, so an unsafe folder is warned about once.
        _usable = new Lazy<bool>(CheckFolder, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private static ReadOnlySpan<byte> Magic => "SPNDLCW\0"u8;

    /// <summary>Returns the module compiled from the module whose SHA-256 is <paramref name="sourceHash"/>, or compiles it and stores it.</summary>
    public Module GetOrCompile(Engine engine, string name, ReadOnlySpan<byte> source, byte[] sourceHash)
    {
        if (!_usable.Value)
        {
            return Compile(engine, name, source);
        }

        var path = EntryPath(sourceHash);
        var loaded = TryLoad(engine, name, path, sourceHash);
        if (loaded is not null)
        {
            return loaded;
        }

        var module = Compile(engine, name, source);
        Write(path, sourceHash, module.Serialize());
        return module;
    }

    private Module Compile(Engine engine, string name, ReadOnlySpan<byte> source)
    {
        var module = Module.FromBytes(engine, name, source);
        Log.ModuleCompiled(_logger, name);
        return module;
    }

    // The file name keys the entry; the header is what is trusted, so a file copied or renamed over another's
    // name is caught.
    private string EntryPath(byte[] sourceHash)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(Convert.ToHexStringLower(sourceHash) + "|" + _fingerprint));
        return Path.Combine(_directory, Convert.ToHexStringLower(key) + ".cwasm");
    }

    private Module? TryLoad(Engine engine, string name, string path, byte[] sourceHash)
    {
        byte[] entry;
        try
        {
            entry = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CacheEntryUnusable(_logger, ex, path, ex.Message);
            return null;
        }

        var problem = Verify(entry, sourceHash, out var body);
        if (problem is not null)
        {
            Log.CacheEntryUnusable(_logger, null, path, problem);
            return null;
        }

        try
        {
            var module = Module.Deserialize(engine, name, entry.AsSpan(body));
            Log.ModuleLoadedFromCache(_logger, name, path);
            return module;
        }
        catch (WasmtimeException ex)
        {
            Log.CacheEntryUnusable(_logger, ex, path, "Wasmtime refused it: " + ex.Message);
            return null;
        }
    }

    /// <summary>Checks an entry's header; returns why it cannot be used, or <see langword="null"/> and where its body starts.</summary>
    internal string? Verify(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> sourceHash, out Range body)
    {
        body = default;
        if (entry.Length < FixedHeaderSize || !entry[..8].SequenceEqual(Magic))
        {
            return "it is not a Spindle cache entry (no header)";
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(entry[8..]);
        if (version != FormatVersion)
        {
            return $"its format version is {version}, this Spindle writes {FormatVersion}";
        }

        var recordedSource = entry.Slice(12, 32);
        var recordedBody = entry.Slice(44, 32);
        var bodyLength = BinaryPrimitives.ReadUInt64LittleEndian(entry[76..]);
        var fingerprintLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[84..]);
        if (entry.Length < FixedHeaderSize + fingerprintLength)
        {
            return "its header is truncated";
        }

        var fingerprint = Encoding.UTF8.GetString(entry.Slice(FixedHeaderSize, fingerprintLength));
        if (!string.Equals(fingerprint, _fingerprint, StringComparison.Ordinal))
        {
            return $"it was compiled by another engine ({fingerprint}, this one is {_fingerprint})";
        }

        if (!recordedSource.SequenceEqual(sourceHash))
        {
            return $"it was compiled from another module (SHA-256 {Convert.ToHexStringLower(recordedSource)}, expected {Convert.ToHexStringLower(sourceHash)})";
        }

        var start = FixedHeaderSize + fingerprintLength;
        if ((ulong)(entry.Length - start) != bodyLength)
        {
            return $"its body is {entry.Length - start} bytes, the header says {bodyLength} (truncated or appended to)";
        }

        if (!SHA256.HashData(entry[start..]).AsSpan().SequenceEqual(recordedBody))
        {
            return "its body does not match the digest in its header (corrupted)";
        }

        body = start..;
        return null;
    }

    internal byte[] Encode(ReadOnlySpan<byte> sourceHash, ReadOnlySpan<byte> serialized)
    {
        var fingerprint = Encoding.UTF8.GetBytes(_fingerprint);
        var entry = new byte[FixedHeaderSize + fingerprint.Length + serialized.Length];
        var span = entry.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], FormatVersion);
        sourceHash.CopyTo(span[12..]);
        SHA256.HashData(serialized, span[44..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[76..], (ulong)serialized.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[84..], checked((ushort)fingerprint.Length));
        fingerprint.CopyTo(span[FixedHeaderSize..]);
        serialized.CopyTo(span[(FixedHeaderSize + fingerprint.Length)..]);
        return entry;
    }

    private void Write(string path, byte[] sourceHash, byte[] serialized)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Path.GetRandomFileName()}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFile;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encode(sourceHash, serialized));
            }

            File.Move(temp, path, overwrite: true); // readers never see a half-written file
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CacheWriteFailed(_logger, ex, _directory);
            TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: a stray .tmp file is ignored by readers.
        }
    }

    // A folder someone else can write to lets them plant native code that this process would run: use it only when
    // it is private to this user, and create it that way.
    private bool CheckFolder()
    {
        if (!Directory.Exists(_directory))
        {
            try
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(_directory);
                }
                else
                {
                    Directory.CreateDirectory(_directory, PrivateFolder);
                }

                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.CacheFolderUnusable(_logger, _directory, $"it cannot be created: {ex.Message}");
                return false;
            }
        }

        if (OperatingSystem.IsWindows())
        {
            return true; // a folder under the user's profile is protected by its ACL
        }

        var mode = File.GetUnixFileMode(_directory);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            Log.CacheFolderUnusable(_logger, _directory, $"it is writable by other users (mode {Convert.ToString((int)mode, 8)}); run chmod 700 on it or remove it");
            return false;
        }

        if (OperatingSystem.IsLinux() && FolderOwner.TryGet(_directory, out var owner) && owner != FolderOwner.CurrentUser)
        {
            Log.CacheFolderUnusable(_logger, _directory, $"it belongs to user id {owner}, not to this user ({FolderOwner.CurrentUser}); remove it or set SPINDLE_CACHE_DIR");
            return false;
        }

        return true;
    }

    /// <summary>The owner of a path on Linux, through statx(2), whose buffer layout is the same on every architecture.</summary>
    private static unsafe partial class FolderOwner
    {
        private const int AtFdCwd = -100;
        private const uint StatxUid = 0x8;
        private const int StatxSize = 256;
        private const int StatxUidOffset = 20;

        public static uint CurrentUser => GetEffectiveUserId();

        public static bool TryGet(string path, out uint owner)
        {
            owner = 0;
            var buffer = stackalloc byte[StatxSize];
            try
            {
                if (Statx(AtFdCwd, path, 0, StatxUid, buffer) != 0)
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                return false; // a libc without statx (older than glibc 2.28), or none found: the mode check alone applies
            }

            owner = *(uint*)(buffer + StatxUidOffset); // native byte order, as the kernel writes it
            return true;
        }

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

        [LibraryImport("libc", EntryPoint = "geteuid")]
        private static partial uint GetEffectiveUserId();
    }
}
