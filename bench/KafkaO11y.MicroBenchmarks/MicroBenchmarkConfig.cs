using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// In process (no generated project to build: quick, and it works offline), with the memory
/// diagnoser for bytes allocated per message.
/// </summary>
internal sealed class MicroBenchmarkConfig : ManualConfig
{
    public MicroBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(10));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.P95);
        HideColumns(Column.Error, Column.StdDev, Column.Ratio, Column.RatioSD, Column.AllocRatio);
    }
}
