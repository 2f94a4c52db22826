using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.Core.Tests;

public sealed class InMemoryStoreTests : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager() => new InMemoryStoreManager();
}
