namespace Spindle.Postgres.Tests;

/// <summary>
/// Tests that freeze the shared server run alone, after the others: a frozen server would stall every other test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageGroup
{
    public const string Name = "outage";
}
