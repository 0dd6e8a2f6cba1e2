using KafkaO11y.AppHost;
using KafkaO11y.AppHost.EmbeddedKafka;
using KafkaO11y.AppHost.KafkaContainers;
using KafkaO11y.AppHost.Observability;

var builder = DistributedApplication.CreateBuilder(args);
var settings = KafkaO11ySettings.From(builder.Configuration, () => ContainerRuntime.Problem(builder.Configuration));
builder.AnnounceMode(settings);

var producer = builder.AddProject<Projects.KafkaO11y_Producer>("producer")
    .WithProducerCommands();
var consumer = builder.AddProject<Projects.KafkaO11y_Consumer>("consumer")
    .WithReplicas(settings.ConsumerReplicas)
    .WithConsumerCommands();

if (settings.Mode == KafkaMode.Embedded)
{
    // Kafka inside this process; the services send telemetry straight to the Aspire dashboard.
    var kafka = builder.AddEmbeddedKafka("kafka", settings.Brokers, KafkaO11ySettings.Topics)
        .WithFailureCommands();
    producer.WithKafka(kafka);
    consumer.WithKafka(kafka);
}
else
{
    // Kafka (with a JMX exporter per broker), or the external cluster of ConnectionStrings:kafka.
    var kafka = settings.ExternalKafka is null
        ? builder.AddKafkaCluster("kafka", settings.Brokers, settings.KafkaDataVolume)
        : builder.AddExternalKafka("kafka");
    var clientSecurity = settings.ExternalKafka is null ? KafkaClientSecurity.None : KafkaClientSecurity.From(builder);
    foreach (var broker in kafka.Brokers)
    {
        builder.AddJmxExporter(broker);
    }

    // Services -> collector -> Tempo (traces), Loki (logs), Prometheus (metrics) and the Aspire dashboard.
    var prometheus = builder.AddPrometheus("prometheus", jmxExporters: kafka.Brokers.Count);
    var tempo = builder.AddTempo("tempo");
    var loki = builder.AddLoki("loki");
    var collector = builder.AddOpenTelemetryCollector("otel-collector", kafka.BootstrapForContainers)
        .WithKafkaClientSecurity(builder, clientSecurity)
        .WaitFor(prometheus).WaitFor(tempo).WaitFor(loki);
    if (kafka.Brokers.Count > 0)
    {
        collector.WaitFor(kafka.Connection);
    }

    var grafanaPassword = builder.AddParameter("grafana-admin-password", new GenerateParameterDefault { MinLength = 16, Special = false }, secret: true, persist: true);
    var grafana = builder.AddGrafana("grafana", grafanaPassword, prometheus, tempo, loki);

    // Each resource links, on the Aspire dashboard, to the Grafana dashboard that shows it.
    foreach (var broker in kafka.Brokers)
    {
        broker.WithGrafanaDashboard(grafana, "kafka-cluster", "Kafka Cluster (Grafana)");
    }

    producer.WithGrafanaDashboard(grafana, "kafka-applications", "Kafka Applications (Grafana)", "var-service=producer");
    consumer.WithGrafanaDashboard(grafana, "kafka-applications", "Kafka Applications (Grafana)", "var-service=consumer");
    collector.WithGrafanaDashboard(grafana, "telemetry-pipeline", "Telemetry Pipeline (Grafana)");

    if (settings.KafkaUi)
    {
        builder.AddKafkaUi("kafka-ui", kafka);
    }

    producer.WithKafka(kafka.Connection).WithKafkaClientSecurity(clientSecurity).WithTelemetryThrough(collector);
    consumer.WithKafka(kafka.Connection).WithKafkaClientSecurity(clientSecurity).WithTelemetryThrough(collector);
}

builder.Build().Run();
