using KafkaO11y.AppHost;
using KafkaO11y.Tests.Observability;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.Tests.AppHost;

/// <summary>
/// Auto mode asks the real engines, Docker's and Podman's (CI installs both), whether Containers mode
/// can run: the engine answers (each with the command its runtime documents), and every image is here
/// or can be pulled; otherwise it says why, naming the image.
/// </summary>
public sealed class AutoModeTests
{
    // No registry has it, whether or not this machine reaches one.
    private const string ImageNoRegistryHas = "docker.io/kafkao11y/no-such-image:0";

    [Theory]
    [InlineData("docker")]
    [InlineData("podman")]
    public void An_engine_that_answers_is_found_with_the_command_its_runtime_documents(string runtime)
    {
        var problem = ContainerRuntime.Problem(Runtime(runtime), []);
        ExternalTool.Require(problem?.StartsWith("no container runtime", StringComparison.Ordinal) != true,
            $"{runtime} is not installed: .ci/start-docker installs Docker, apt-get install podman installs Podman.");

        Assert.Null(problem);
    }

    [Theory]
    [InlineData("docker")]
    [InlineData("podman")]
    public void An_image_that_can_neither_be_found_nor_pulled_is_named_with_the_engines_answer(string runtime)
    {
        var configuration = Runtime(runtime);
        ExternalTool.Require(ContainerRuntime.Problem(configuration, []) is null, $"{runtime}'s engine does not answer here.");

        var problem = ContainerRuntime.Problem(configuration, [ImageNoRegistryHas]);

        Assert.NotNull(problem);
        Assert.Matches($"^{runtime} [0-9][^ ]* answers, but {ImageNoRegistryHas} is not on this machine and cannot be pulled \\(.+\\)$", problem);
    }

    [Fact]
    public void Images_the_engine_already_has_need_no_registry()
    {
        var configuration = Runtime("docker");
        var local = LocalImages.LocalImagesStack.Probe.Reference;
        ExternalTool.Require(ContainerRuntime.Problem(configuration, [local]) is null,
            $"Docker does not answer here, or has no {local}: bash .ci/start-docker && bash .ci/build-test-images.");

        Assert.Null(ContainerRuntime.Problem(configuration, [local]));
    }

    [Fact]
    public void Containers_mode_needs_every_pinned_image_and_the_bases_of_the_images_it_builds()
    {
        var needed = ContainerImages.NeededFromRegistry(Repository.Root);

        Assert.Equal(ContainerImages.Pinned.Select(i => i.Reference), needed.Take(ContainerImages.Pinned.Count));
        // The JMX exporter's Dockerfile builds on Eclipse Temurin, named in full as Podman needs.
        Assert.Equal(["docker.io/library/eclipse-temurin:21.0.12_8-jre-noble"], needed.Skip(ContainerImages.Pinned.Count));
    }

    [Fact]
    public void A_missing_container_runtime_is_reported_not_thrown()
    {
        Assert.Equal("no container runtime ('no-such-runtime-kafka-o11y') is installed",
            ContainerRuntime.Problem(Runtime("no-such-runtime-kafka-o11y"), []));
    }

    [Fact]
    public void An_empty_runtime_setting_means_Docker_as_it_does_for_Aspire()
    {
        Assert.Equal("docker", ContainerRuntime.Name(Runtime("")));
        Assert.Equal("podman", ContainerRuntime.Name(Runtime("podman")));
        Assert.Equal(["info", "--format", "{{.Version.Version}}"], ContainerRuntime.EngineVersion("podman"));
        Assert.Equal(["version", "--format", "{{.Server.Version}}"], ContainerRuntime.EngineVersion("docker"));
    }

    private static IConfiguration Runtime(string runtime) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ASPIRE_CONTAINER_RUNTIME"] = runtime }).Build();
}
