namespace KafkaO11y.Tests.Support;

/// <summary>Waiting for something that happens eventually (telemetry exported, messages processed), one way for every test.</summary>
public static class Poll
{
    /// <summary>Asks again until <paramref name="condition"/> holds for the answer, or fails after the timeout.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> query, Func<T, bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            var result = await query();
            if (condition(result))
            {
                return result;
            }

            if (cancellation.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>Checks again, every 100 ms (an in-process condition is cheap), until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(condition, timeout, () => what);

    /// <summary>As above; <paramref name="what"/> is asked only when it times out, so it can say what was seen meanwhile.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (cancellation.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for {what()}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
