using System.Globalization;
using BenchmarkDotNet.Reports;

namespace Spindle.Benchmarks;

/// <summary>
/// Prints, for every Spindle benchmark, its throughput as a fraction of its baseline's measured in the same run
/// (ops/s of Spindle ÷ ops/s of the baseline), next to the target it must meet.
/// </summary>
internal static class RatioReport
{
    // Targets from the issues: a ratio below one of these is a regression to fix, not noise to accept.
    private static readonly Dictionary<string, double> Targets = new(StringComparer.Ordinal)
    {
        ["StoreGet"] = 0.9,
        ["GuestGet"] = 0.85,
        ["ComponentGet"] = 0.7,
        ["ComponentGetBig"] = 0.8,
        ["GroupCommit"] = 30,
    };

    // Further comparisons within one class, beside the baseline: (benchmark, reference). The ceiling has no target: the
    // ratio says how much of "everything in one transaction" group commit reaches.
    private static readonly (string Name, string Reference)[] References =
    [
        ("GroupCommit", "AllInOneTransaction"),
    ];

    public static void Print(IEnumerable<Summary> summaries, TextWriter output)
    {
        var reports = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).ToList();
        if (reports.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("Throughput ratios (Spindle ops/s ÷ baseline ops/s from medians, same run):");
        foreach (var report in reports.Where(r => !r.BenchmarkCase.Descriptor.Baseline))
        {
            var category = report.BenchmarkCase.Descriptor.Categories.FirstOrDefault();
            var parameters = report.BenchmarkCase.Parameters.DisplayInfo;
            var baseline = reports.FirstOrDefault(r =>
                r.BenchmarkCase.Descriptor.Baseline
                && r.BenchmarkCase.Descriptor.Type == report.BenchmarkCase.Descriptor.Type
                && r.BenchmarkCase.Descriptor.Categories.FirstOrDefault() == category
                && r.BenchmarkCase.Parameters.DisplayInfo == parameters);
            if (baseline is null)
            {
                continue;
            }

            var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            // Medians: this VM shows occasional multimodal stalls that would swing a mean.
            var ratio = baseline.ResultStatistics!.Median / report.ResultStatistics!.Median;
            var verdict = Targets.TryGetValue(name, out var target)
                ? string.Create(CultureInfo.InvariantCulture, $"target >= {target:0.00}: {(ratio >= target ? "met" : "MISSED")}")
                : "no target";
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {name,-12} vs {baseline.BenchmarkCase.Descriptor.WorkloadMethod.Name,-8} {parameters,-16} {ratio,6:0.000}  ({verdict})"));

            foreach (var (_, referenceName) in References.Where(r => r.Name == name))
            {
                var reference = reports.FirstOrDefault(r =>
                    r.BenchmarkCase.Descriptor.Type == report.BenchmarkCase.Descriptor.Type
                    && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == referenceName
                    && r.BenchmarkCase.Parameters.DisplayInfo == parameters);
                if (reference is not null)
                {
                    var fraction = reference.ResultStatistics!.Median / report.ResultStatistics!.Median;
                    output.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"  {name,-12} vs {referenceName,-8} {parameters,-16} {fraction,6:0.000}  (no target)"));
                }
            }
        }
    }
}
