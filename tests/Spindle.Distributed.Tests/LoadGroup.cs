namespace Spindle.Distributed.Tests;

/// <summary>
/// The tests here each put both cores under load (spindle up processes, a server, many clients) and the outage
/// tests bound how long their failures take: they run one at a time, never against each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadGroup
{
    public const string Name = "load";
}
