using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using KafkaO11y.Producer;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddOptions<GeneratorOptions>().BindConfiguration(GeneratorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<MessagePublisher>();
builder.Services.AddSingleton<GeneratorControl>();
builder.Services.AddHostedService<MessageGenerator>();

var app = builder.Build();

app.UseDefaultErrorHandling();

app.MapMessagesEndpoints();
app.MapGeneratorEndpoints();
app.MapDefaultEndpoints();

app.Run();
