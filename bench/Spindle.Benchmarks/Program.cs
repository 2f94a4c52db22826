using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Spindle.Benchmarks;

// Baselines are per category (Read: RawGet, Upsert: RawSet), so each Spindle method is compared with the raw
// statement it wraps.
var config = DefaultConfig.Instance.WithOptions(ConfigOptions.JoinSummary)
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
RatioReport.Print(summaries, Console.Out);
