using System.Net;
using System.Text;
using System.Text.Json;

namespace KafkaO11y.Tests.EndToEnd;

/// <summary>Malformed, out-of-range and wrongly typed input to every endpoint gets a 4xx problem response, never a 500.</summary>
[Collection(EmbeddedAppCollection.Name)]
public sealed class HttpInputTests(EmbeddedAppFixture fixture)
{
    public static TheoryData<string, string, string> BadRequests => new()
    {
        // service, method and path, JSON body
        { "producer", "POST /messages", "{}" },
        { "producer", "POST /messages", "null" },
        { "producer", "POST /messages", "{\"payload\":" },
        { "producer", "POST /messages", "{\"payload\":[1,2]}" },
        { "producer", "POST /messages", "{\"payload\":42}" },
        { "producer", "POST /messages", "{\"payload\":\"   \"}" },
        { "producer", "POST /messages", "{\"payload\":\"ok\",\"key\":\"\"}" },
        { "producer", "POST /messages", "{\"payload\":\"ok\",\"key\":\"" + new string('k', 300) + "\"}" },
        { "producer", "PUT /generator", "{\"messagesPerSecond\":-1}" },
        { "producer", "PUT /generator", "{\"messagesPerSecond\":1e9}" },
        { "producer", "PUT /generator", "{\"messagesPerSecond\":\"fast\"}" },
        { "producer", "PUT /generator", "{\"paused\":\"maybe\"}" },
        { "producer", "PUT /generator", "null" },
        { "producer", "POST /load", "{}" },
        { "producer", "POST /load", "{\"messagesPerSecond\":0,\"count\":5}" },
        { "producer", "POST /load", "{\"messagesPerSecond\":10,\"count\":0}" },
        { "producer", "POST /load", "{\"messagesPerSecond\":10,\"count\":1e20}" },
        { "producer", "POST /load", "{\"messagesPerSecond\":10,\"count\":2000000}" },
        { "producer", "POST /poison", "{}" },
        { "producer", "POST /poison", "{\"count\":0}" },
        { "producer", "POST /poison", "{\"count\":5000}" },
        { "producer", "POST /poison", "{\"count\":\"many\"}" },
        { "producer", "POST /duplicates", "{}" },
        { "producer", "POST /duplicates", "{\"count\":0}" },
        { "producer", "POST /duplicates", "{\"count\":5000}" },
        { "consumer", "PUT /processing", "{\"delayMilliseconds\":-5}" },
        { "consumer", "PUT /processing", "{\"delayMilliseconds\":600000}" },
        { "consumer", "PUT /processing", "{\"failureRate\":1.5}" },
        { "consumer", "PUT /processing", "{\"failureRate\":\"half\"}" },
        { "consumer", "PUT /processing", "{\"delayMilliseconds\":" },
        { "consumer", "PUT /processing", "null" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_a_400_problem_response(string service, string endpoint, string body)
    {
        using var response = await SendAsync(service, endpoint, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>A body that is not valid JSON, or has a value of the wrong type, is answered with where it went wrong.</summary>
    [Theory]
    [InlineData("producer", "POST /messages", "{\"payload\":", "Path: $")]
    [InlineData("producer", "PUT /generator", "{\"messagesPerSecond\":\"fast\"}", "Path: $.messagesPerSecond")]
    [InlineData("consumer", "PUT /processing", "{\"failureRate\":\"half\"}", "Path: $.failureRate")]
    public async Task A_malformed_JSON_body_gets_a_400_problem_saying_where(string service, string endpoint, string body, string where)
    {
        using var response = await SendAsync(service, endpoint, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = problem.RootElement.GetProperty("detail").GetString();
        Assert.NotNull(detail);
        Assert.StartsWith("The request body could not be read: ", detail);
        Assert.Contains(where, detail);
        Assert.Contains("LineNumber", detail);
    }

    [Theory]
    [InlineData("producer", "POST /messages")]
    [InlineData("producer", "PUT /generator")]
    [InlineData("producer", "POST /load")]
    [InlineData("producer", "POST /poison")]
    [InlineData("producer", "POST /duplicates")]
    [InlineData("consumer", "PUT /processing")]
    public async Task A_body_that_is_not_JSON_gets_a_415_problem_response(string service, string endpoint)
    {
        using var response = await SendAsync(service, endpoint, new StringContent("count=5", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("producer", "GET /nowhere")]
    [InlineData("producer", "DELETE /messages")]
    [InlineData("consumer", "POST /stats")]
    public async Task Unknown_routes_and_methods_get_a_4xx_problem_response(string service, string endpoint)
    {
        using var response = await SendAsync(service, endpoint, content: null);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<HttpResponseMessage> SendAsync(string service, string endpoint, HttpContent? content)
    {
        var (method, path) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        using var client = fixture.CreateHttpClient(service);
        return await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = content });
    }
}
