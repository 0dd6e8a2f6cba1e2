using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using KafkaO11y.Producer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Tests.Services;

/// <summary>The Producer's generator when Kafka does not answer.</summary>
public sealed class MessageGeneratorTests
{
    /// <summary>
    /// With no broker to acknowledge them, the generator's sends overlap up to
    /// <see cref="MessageGenerator.MaxInFlight"/> (1,000), then it waits: it neither stops at the
    /// first unanswered send nor piles messages up in memory.
    /// </summary>
    [Fact]
    public async Task Without_acknowledgements_the_generator_has_at_most_1000_sends_in_flight()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:kafka"] = $"127.0.0.1:{ClosedPort.Next()}";
        // Longer than the test: no send is answered, not even with a time-out.
        builder.Configuration["Kafka:Producer:MessageTimeoutMs"] = "120000";
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        using var host = builder.Build();
        var (producer, observed) = ObservedProducer.Wrap(host.Services.GetRequiredService<Confluent.Kafka.IProducer<string, byte[]>>());
        var publisher = new MessagePublisher(producer, Options.Create(new MessagingOptions { Topic = "unanswered" }), host.Services.GetRequiredService<IHostEnvironment>(),
            host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), host.Services.GetRequiredService<ILogger<MessagePublisher>>());
        var control = new GeneratorControl(Options.Create(new GeneratorOptions { MessagesPerSecond = GeneratorOptions.MaxMessagesPerSecond }));
        using var generator = new MessageGenerator(control, publisher, host.Services.GetRequiredService<ILogger<MessageGenerator>>());

        await generator.StartAsync(CancellationToken.None);
        try
        {
            await Poll.UntilAsync(() => observed.InFlight >= MessageGenerator.MaxInFlight, TimeSpan.FromSeconds(30),
                () => $"{MessageGenerator.MaxInFlight} sends in flight; {observed.InFlight} are");
            // At the generator's top rate, another second would be hundreds more sends if nothing held them back.
            await Task.Delay(TimeSpan.FromSeconds(1));

            Assert.Equal(MessageGenerator.MaxInFlight, observed.MaxInFlight);
            Assert.Equal(MessageGenerator.MaxInFlight, observed.Sends.Count);
            Assert.Equal((0, 0), (control.State.Published, control.State.Failed));
        }
        finally
        {
            await generator.StopAsync(CancellationToken.None);
        }
    }
}
