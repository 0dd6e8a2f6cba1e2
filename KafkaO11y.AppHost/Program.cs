var builder = DistributedApplication.CreateBuilder(args);
var settings = KafkaO11ySettings.From(builder.Configuration, () => ContainerRuntime.Problem(builder));
builder.AnnounceMode(settings);

var producer = builder.AddProject<Projects.KafkaO11y_Producer>("producer")
    .WithProducerCommands();
var consumer = builder.AddProject<Projects.KafkaO11y_Consumer>("consumer")
    .WithReplicas(settings.ConsumerReplicas)
    .WithBatchesAndTraceShape(settings.Options.Consumer)
    .WithConsumerCommands();
IResourceBuilder<ProjectResource>[] services = [producer, consumer];

if (settings.Mode == KafkaMode.Embedded)
{
    // Kafka inside this process, its topics made ready before the services start; the services
    // send telemetry straight to the Aspire dashboard.
    var kafka = builder.AddEmbeddedKafka("kafka", settings.Brokers)
        .WithFailureCommands(KafkaO11ySettings.Topics);
    var topics = builder.AddKafkaTopics("kafka-topics", kafka, KafkaO11ySettings.Topics);
    foreach (var service in services)
    {
        service.WithKafka(kafka, topics);
    }

    // Prometheus 3 and Alertmanager as local programs, when this machine has them: Prometheus
    // scrapes the services, evaluates the alert rules, and Alertmanager shows alerts in `alerts`.
    var tools = builder.FindPrometheusTools(settings.Options);
    if (tools.Prometheus is not null)
    {
        var prometheus = builder.AddPrometheusProgram("prometheus", tools)
            .WithServiceScrapeTargets(producer, consumer);
        if (tools.Alertmanager is not null)
        {
            var alerts = builder.AddAlertReceiver("alerts");
            var alertmanager = builder.AddAlertmanagerProgram("alertmanager", tools, alerts);
            prometheus.WithAlertmanager(alertmanager);
        }
    }
}
else
{
    // Kafka (with a JMX exporter per broker), or the external cluster of ConnectionStrings:kafka,
    // and the app's topics on it, made ready before the services start.
    var (kafka, clientSecurity) = settings.ExternalKafka is null
        ? (builder.AddKafkaCluster("kafka", settings.Brokers, settings.KafkaDataVolume), KafkaClientSecurity.None)
        : (builder.AddExternalKafka("kafka"), KafkaClientSecurity.From(builder, settings.Options.Kafka.Client));
    var topics = builder.AddKafkaTopics("kafka-topics", kafka.Connection, KafkaO11ySettings.Topics, clientSecurity);
    var prometheus = builder.AddPrometheus("prometheus");
    foreach (var broker in kafka.Brokers)
    {
        prometheus.WithScrapeTarget("kafka-jmx", builder.AddJmxExporter(broker));
    }

    // Services -> collector -> Tempo (traces), Loki (logs), Prometheus (metrics) and the Aspire dashboard.
    var tempo = builder.AddTempo("tempo");
    var loki = builder.AddLoki("loki");
    var collector = builder.AddOpenTelemetryCollector("otel-collector", kafka.BootstrapForContainers)
        .WithKafkaClientSecurity(builder, clientSecurity)
        .WaitFor(prometheus).WaitFor(tempo).WaitFor(loki);
    if (kafka.Brokers.Count > 0)
    {
        collector.WaitFor(kafka.Connection);
    }

    // Prometheus scrapes the stack's own metrics; its alerts go through Alertmanager to the collector, as logs.
    prometheus
        .WithScrapeTarget("otel-collector", collector, OpenTelemetryCollectorResource.MetricsEndpointName)
        .WithScrapeTarget("tempo", tempo)
        .WithScrapeTarget("loki", loki)
        .WithAlertmanager(builder.AddAlertmanager("alertmanager", collector));

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

    foreach (var service in services)
    {
        service.WithKafka(kafka.Connection, topics).WithKafkaClientSecurity(clientSecurity).WithTelemetryThrough(collector);
    }
}

builder.Build().Run();
