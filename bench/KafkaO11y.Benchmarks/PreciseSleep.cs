using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KafkaO11y.Benchmarks;

/// <summary>A sleep finer than a millisecond, which .NET has no API for.</summary>
internal static class PreciseSleep
{
    /// <summary>
    /// Sleeps until <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp). On Linux
    /// with nanosleep, which wakes within about 0.1 ms; <see cref="Thread.Sleep(int)"/> has whole
    /// milliseconds only, which at 1,000 messages/s would make a 1 ms send schedule mostly noise.
    /// </summary>
    public static void Until(long timestamp)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            var nanoseconds = (long)(remaining * (1e9 / Stopwatch.Frequency));
            if (OperatingSystem.IsLinux())
            {
                var request = new Timespec(nanoseconds / 1_000_000_000, nanoseconds % 1_000_000_000);
                nanosleep(request, IntPtr.Zero);
            }
            else
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(1, nanoseconds / 1_000_000)));
            }
        }
    }

    // struct timespec { time_t tv_sec; long tv_nsec; }: two native words on 64-bit Linux.
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Timespec(long seconds, long nanoseconds)
    {
        public readonly nint Seconds = (nint)seconds;
        public readonly nint Nanoseconds = (nint)nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int nanosleep(in Timespec request, IntPtr remaining);
}
