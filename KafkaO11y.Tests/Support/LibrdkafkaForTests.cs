using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace KafkaO11y.Tests.Support;

/// <summary>librdkafka's calls made for tests of an application's error handling, on a real client.</summary>
internal static class LibrdkafkaForTests
{
    private delegate ErrorCode TestFatalError(IntPtr client, ErrorCode error, [MarshalAs(UnmanagedType.LPUTF8Str)] string reason);

    /// <summary>
    /// rd_kafka_test_fatal_error: the client raises a fatal error as if librdkafka had met one
    /// (its error callback reports it, and the client is unusable from then on).
    /// </summary>
    public static ErrorCode RaiseFatalError(IClient client, ErrorCode error, string reason)
    {
        // Confluent.Kafka keeps librdkafka's rd_kafka_t in an internal property of Handle and does
        // not offer this call, so both are reached the only way there is: reflection, and the
        // library Confluent.Kafka loaded.
        var handle = (SafeHandle)typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(client.Handle)!;
        var library = NativeLibrary.Load(LoadedLibrdkafka());
        var raise = Marshal.GetDelegateForFunctionPointer<TestFatalError>(NativeLibrary.GetExport(library, "rd_kafka_test_fatal_error"));
        return raise(handle.DangerousGetHandle(), error, reason);
    }

    private static string LoadedLibrdkafka()
    {
        using var process = Process.GetCurrentProcess();
        return process.Modules.Cast<ProcessModule>().Select(module => module.FileName)
            .First(path => Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal));
    }
}
