using System.Text;
using System.Text.Json;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>Bytes on the stdio daemon's input that are not (good) LSP: it must go on, with its models.</summary>
public class FramingFaults(SharedStdioDaemon shared) : IClassFixture<SharedStdioDaemon>
{
    public static TheoryData<string, string> Garbage => new()
    {
        { "negative Content-Length", "Content-Length: -5\r\n\r\n{}" },
        { "non-numeric Content-Length", "Content-Length: many\r\n\r\n{\"a\":1}" },
        { "Content-Length past int", "Content-Length: 4294967296\r\n\r\n" },
        { "header without colon", "Content-Length: 2\r\nbroken header\r\n\r\n{}" },
        { "binary noise", Encoding.Latin1.GetString(Noise(16 << 10)) },
        { "a 2 MB line", new string('z', 2 << 20) + "\n" },
        { "a body shorter than announced, then a good message", "Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\"}\r\n\r\n" },
    };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Garbage))]
    public async Task Broken_framing_does_not_end_the_stdio_daemon(string what, string bytes)
    {
        var (d, id) = await shared.GetAsync();
        await d.Stdio!.SendBytesAsync(Encoding.Latin1.GetBytes(bytes));
        await d.Stdio.SendBytesAsync("\r\n"u8.ToArray());
        if (what.StartsWith("a body shorter", StringComparison.Ordinal))
        {
            // The short body swallows the start of the next message; the one after it is served.
            await d.Stdio.NotifyAsync("$/setTrace", new { value = "off" });
        }
        await d.SurvivedAsync(d.Stdio, id);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_request_whose_params_is_a_string_is_answered_with_its_id()
    {
        var (d, id) = await shared.GetAsync();
        await d.Stdio!.SendRawAsync("""{"jsonrpc":"2.0","id":777,"method":"unitscope/predict","params":"cross.png"}""");
        // (Earlier cases' garbage may have been answered with id null: those are not this one's.)
        JsonElement response;
        do response = await d.Stdio.NextUnmatchedResponseAsync(Daemon.Patience);
        while (response.GetProperty("id").ValueKind == JsonValueKind.Null);
        response.GetProperty("id").ValueKind.Should().Be(JsonValueKind.Number);
        response.GetProperty("id").GetInt32().Should().Be(777);
        await d.SurvivedAsync(d.Stdio, id);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_megabyte_layer_name_is_cut_where_it_is_echoed_and_logged()
    {
        var (d, id) = await shared.GetAsync();
        var layer = new string('L', 1 << 20);
        var error = await d.Stdio!.CallExpectingErrorAsync(Methods.UnitMap, new UnitMapParams(id, layer, 0, d.Image()), Daemon.Patience);
        error.Code.Should().Be(ErrorCodes.UnknownLayer);
        error.Message.Length.Should().BeLessThan(5000);
        d.Stderr.Split('\n').Max(l => l.Length).Should().BeLessThan(10_000);
        await d.SurvivedAsync(d.Stdio, id);
    }

    private static byte[] Noise(int length)
    {
        var bytes = new byte[length];
        new Random(18).NextBytes(bytes);
        return bytes;
    }
}
