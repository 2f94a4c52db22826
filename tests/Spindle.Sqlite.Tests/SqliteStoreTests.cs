using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.Sqlite.Tests;

public sealed class SqliteFileStoreTests : KeyValueStoreConformance
{
    private readonly TempDirectory _folder = new();

    protected override IKeyValueStoreManager CreateManager() => SqliteDatabase.OpenFile(Path.Combine(_folder.Path, "kv.db"));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _folder.Dispose();
    }
}

public sealed class SqliteInMemoryStoreTests : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager() => SqliteDatabase.OpenInMemory();
}
