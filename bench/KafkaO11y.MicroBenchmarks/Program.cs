using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/KafkaO11y.MicroBenchmarks [-- --filter '*Producer*'] (see docs/performance.md)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
