using System.Text;
using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// Whatever bytes arrive, the connection goes on: broken framing is skipped up to the next
/// Content-Length header, errors answer the request's id, and nothing echoed is unbounded.
/// </summary>
public class FramingTests
{
    private static async Task<(InProcessDaemon Daemon, string ModelId)> StartWithModelAsync()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        var info = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("good.pth")));
        return (d, info.ModelId);
    }

    private static async Task StillServesWithItsModel(InProcessDaemon d, string modelId)
    {
        var models = await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), TimeSpan.FromSeconds(20));
        models.Models.Select(m => m.ModelId).Should().Equal(modelId);
        d.ExitCode.IsCompleted.Should().BeFalse("the connection must survive");
    }

    public static TheoryData<string, byte[]> BrokenFrames => new()
    {
        { "negative Content-Length", "Content-Length: -5\r\n\r\n{}"u8.ToArray() },
        { "non-numeric Content-Length", "Content-Length: twelve\r\n\r\n{\"a\":1}"u8.ToArray() },
        { "Content-Length too large for an int", "Content-Length: 99999999999999999999\r\n\r\n"u8.ToArray() },
        { "a header without a colon", "Content-Length: 2\r\nnonsense\r\n\r\n{}"u8.ToArray() },
        { "binary garbage", Garbage(64 * 1024, seed: 1) },
        { "a 2 MB line without a newline, then one", [.. Enumerable.Repeat((byte)'x', 2 << 20), (byte)'\n'] },
        { "a header block without Content-Length", "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(BrokenFrames))]
    public async Task Broken_framing_is_skipped_and_the_connection_resynchronises(string what, byte[] bytes)
    {
        var (d, id) = await StartWithModelAsync();
        await using (d)
        {
            await d.Client.SendBytesAsync(bytes);
            // The next well-framed message starts on a line of its own.
            await d.Client.SendBytesAsync("\r\n"u8.ToArray());
            await StillServesWithItsModel(d, id);
            d.Log.Should().Contain("framing error", what);
        }
    }

    [Fact]
    public async Task A_body_shorter_than_announced_costs_at_most_the_message_after_it()
    {
        var (d, id) = await StartWithModelAsync();
        await using (d)
        {
            // 40 announced, 17 sent: the read takes the start of the next message with it, whose body then
            // ends (as LSP bodies do) without a newline, right before the following header.
            await d.Client.SendBytesAsync("Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\"}\r\n\r\n"u8.ToArray());
            await d.Client.NotifyAsync("$/setTrace", new { value = "off" });
            await StillServesWithItsModel(d, id);
            d.Log.Should().Contain("framing error");
        }
    }

    [Fact]
    public async Task A_request_whose_params_is_a_string_is_answered_with_its_id()
    {
        var (d, id) = await StartWithModelAsync();
        await using (d)
        {
            await d.Client.SendRawAsync("""{"jsonrpc":"2.0","id":4242,"method":"unitscope/listLayers","params":"resnet"}""");
            var response = await d.Client.NextUnmatchedResponseAsync(TimeSpan.FromSeconds(20));
            response.GetProperty("id").GetInt64().Should().Be(4242);
            LspClient.ErrorOf(response)!.Code.Should().Be(ErrorCodes.InvalidRequest);
            await StillServesWithItsModel(d, id);
        }
    }

    [Fact]
    public async Task A_megabyte_layer_name_is_not_echoed_in_full()
    {
        var (d, id) = await StartWithModelAsync();
        await using (d)
        {
            var layer = "conv" + new string('9', 1 << 20);
            var error = await d.Client.CallExpectingErrorAsync(Methods.UnitMap, new UnitMapParams(id, layer, 0, d.Image()));
            error.Code.Should().Be(ErrorCodes.UnknownLayer);
            error.Message.Length.Should().BeLessThan(5000);
            error.Message.Should().Contain("conv999");
            d.Log.Split('\n').Max(l => l.Length).Should().BeLessThan(10_000);
            await StillServesWithItsModel(d, id);
        }
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_skipped_and_answered()
    {
        var (d, id) = await StartWithModelAsync();
        await using (d)
        {
            // Announced larger than the daemon reads: the body is skipped as it arrives, never held.
            long length = 300L * 1024 * 1024;
            await d.Client.SendBytesAsync(Encoding.ASCII.GetBytes($"Content-Length: {length}\r\n\r\n"));
            var chunk = new byte[1 << 20];
            for (long sent = 0; sent < length; sent += chunk.Length) await d.Client.SendBytesAsync(chunk);
            var response = await d.Client.NextUnmatchedResponseAsync(TimeSpan.FromSeconds(60));
            LspClient.ErrorOf(response)!.Message.Should().Contain("larger than");
            response.GetProperty("id").ValueKind.Should().Be(JsonValueKind.Null);
            await StillServesWithItsModel(d, id);
        }
    }

    private static byte[] Garbage(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
