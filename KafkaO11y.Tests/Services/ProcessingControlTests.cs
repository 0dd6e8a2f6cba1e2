using KafkaO11y.Consumer;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Tests.Services;

/// <summary>The Consumer's processing settings, changed by requests and dashboard commands at the same time.</summary>
public sealed class ProcessingControlTests
{
    /// <summary>
    /// Two updates that change different settings at the same moment both take effect: neither
    /// writes back the other's old value. Many rounds, each on two threads released together, so that
    /// the two overlap in some of them (without the lock, runs here lost an update within a few
    /// hundred rounds).
    /// </summary>
    [Fact]
    public void Simultaneous_updates_of_different_settings_both_take_effect()
    {
        var control = new ProcessingControl(Options.Create(new ProcessingOptions { DelayMilliseconds = 0 }));
        using var start = new Barrier(2);
        for (var round = 1; round <= 2_000; round++)
        {
            var failureRate = round / 10_000.0;
            var delay = round;
            // Threads of their own, released together by the barrier: pool threads could be busy with other tests.
            var delayUpdate = new Thread(() =>
            {
                start.SignalAndWait();
                control.Update(new ProcessingUpdate(delay, FailureRate: null));
            });
            var failureUpdate = new Thread(() =>
            {
                start.SignalAndWait();
                control.Update(new ProcessingUpdate(DelayMilliseconds: null, failureRate));
            });
            delayUpdate.Start();
            failureUpdate.Start();
            delayUpdate.Join();
            failureUpdate.Join();

            Assert.Equal(new ProcessingSettings(delay, failureRate), control.Settings);
        }
    }
}
