using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace KafkaO11y.EmbeddedKafka;

/// <summary>
/// The few librdkafka functions the embedded cluster needs: a client handle that owns a mock cluster
/// (<c>test.mock.num.brokers</c>) and the mock cluster API of <c>rdkafka_mock.h</c>.
/// </summary>
/// <remarks>
/// These calls must reach the very library file Confluent.Kafka loaded (on Debian it falls back from
/// <c>librdkafka.so</c> to <c>centos8-librdkafka.so</c>), so the import is resolved to the module
/// Confluent.Kafka already has in the process, never probed for anew.
/// </remarks>
internal static class LibrdkafkaMock
{
    private const string Library = "librdkafka-as-loaded-by-confluent";

    public const int ProducerType = 0; // RD_KAFKA_PRODUCER
    private const int ConfigOk = 0;    // RD_KAFKA_CONF_OK

    static LibrdkafkaMock() =>
        NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaMock).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Library)
        {
            return IntPtr.Zero;
        }

        Confluent.Kafka.Library.Load();
        using var process = Process.GetCurrentProcess();
        var loaded = process.Modules.Cast<ProcessModule>()
            .Select(module => module.FileName)
            .FirstOrDefault(path => Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal))
            ?? throw new DllNotFoundException("Confluent.Kafka reported librdkafka loaded, but no librdkafka module is in the process.");
        return NativeLibrary.Load(loaded);
    }

    public static IntPtr NewClientWithMockCluster(int brokers)
    {
        var config = rd_kafka_conf_new();
        Set(config, "test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The handle only owns the cluster; it sends nothing, so it needs no more than the defaults.
        Set(config, "client.id", "kafka-o11y-embedded-cluster");
        // Warnings and errors only: its notices would only say that the mock replaced bootstrap.servers.
        Set(config, "log_level", "4");

        var error = new byte[512];
        var client = rd_kafka_new(ProducerType, config, error, (nuint)error.Length);
        if (client == IntPtr.Zero)
        {
            throw new InvalidOperationException($"librdkafka could not create the mock cluster: {ErrorText(error)}");
        }

        return client;
    }

    private static void Set(IntPtr config, string name, string value)
    {
        var error = new byte[512];
        if (rd_kafka_conf_set(config, name, value, error, (nuint)error.Length) != ConfigOk)
        {
            rd_kafka_conf_destroy(config);
            throw new InvalidOperationException($"librdkafka rejected '{name}={value}': {ErrorText(error)}");
        }
    }

    public static string ErrorName(int error) => Marshal.PtrToStringUTF8(rd_kafka_err2name(error)) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string ErrorText(byte[] buffer) =>
        System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_conf_new();

    [DllImport(Library)]
    private static extern void rd_kafka_conf_destroy(IntPtr config);

    [DllImport(Library, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rd_kafka_conf_set(IntPtr config, [MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, byte[] errorText, nuint errorTextSize);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_new(int type, IntPtr config, byte[] errorText, nuint errorTextSize);

    [DllImport(Library)]
    public static extern void rd_kafka_destroy(IntPtr client);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_err2name(int error);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_handle_mock_cluster(IntPtr client);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    public static string Bootstraps(IntPtr cluster) =>
        Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster)) ?? "";

    [DllImport(Library, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rd_kafka_mock_topic_create(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic,
        int partitions, int replicationFactor);

    [DllImport(Library, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rd_kafka_mock_partition_set_leader(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic,
        int partition, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int[] errors);

    /// <summary>
    /// The C function is variadic (<c>size_t cnt, ...</c>); this declares it for exactly one error.
    /// On x86-64 System V and Linux arm64 a variadic int is passed where a fixed one would be.
    /// </summary>
    [DllImport(Library)]
    public static extern int rd_kafka_mock_partition_push_request_errors(IntPtr cluster, string topic, int partition, short apiKey, nuint count, int error);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);
}
