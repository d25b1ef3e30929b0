using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// A conv layer's hover names its receptive field (Zeiler and Fergus' patches are cut by it), worked out in the background
/// from the first hover on, so the first hovers may come without it; the first convolution's hover shows its filters.
/// </summary>
public class ConvolutionHoverTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Conv_layers_hovers_name_their_receptive_field_once_it_is_known()
    {
        await using var daemon = DaemonProcess.Start();
        var client = daemon.Client;
        await client.CallAsync<InitializeResult>(Methods.Initialize,
            new InitializeParams(ProcessId: Environment.ProcessId, ClientInfo: new ClientInfo(nameof(ConvolutionHoverTests))), Slow);
        await client.NotifyAsync(Methods.Initialized, new { });
        await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);

        var sourcePath = RepoPaths.Get("samples", "train_smallcnn.py");
        var source = await File.ReadAllTextAsync(sourcePath);
        var uri = new Uri(sourcePath).AbsoluteUri;
        await client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, source)));

        async Task<string> HoverAsync(string attribute)
        {
            var index = source.IndexOf($"self.{attribute} = ", StringComparison.Ordinal);
            var at = Documents.TextPositions.ToPosition(source, index + 7);
            var hover = await client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), at));
            hover.Should().NotBeNull($"the hover of {attribute}\n{daemon.Stderr}");
            return hover!.Contents.Value;
        }

        // smallcnn: conv 3×3 pad 1 → BN → ReLU → max-pool 2, three times, then conv4. By hand (size += (k − 1)·jump,
        // start −= pad·jump, jump ·= stride): conv1 3, jump 1, start −1; pool 4, jump 2; conv2 4 + 2·2 = 8, start −1 − 2 = −3;
        // pool 10, jump 4; conv3 10 + 2·4 = 18, start −3 − 4 = −7.
        var deadline = DateTime.UtcNow + Slow;
        string conv3;
        while (!(conv3 = await HoverAsync("conv3")).Contains("receptive field", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        conv3.Should().Contain("receptive field 18×18, stride 4, start \\-7", daemon.Stderr);
        (await HoverAsync("conv1")).Should().Contain("receptive field 3×3, stride 1, start \\-1");
        (await HoverAsync("conv2")).Should().Contain("receptive field 8×8, stride 2, start \\-3");
        (await HoverAsync("fc")).Should().NotContain("receptive field", "a linear layer's units see the whole input");

        // The first convolution's filters are pictures of the input: the grid, one cell per filter, is in its hover only.
        var conv1 = await HoverAsync("conv1");
        var match = System.Text.RegularExpressions.Regex.Match(conv1, @"!\[the (\d+) filters of conv1\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)");
        match.Success.Should().BeTrue(conv1);
        int filters = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var grid = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String(match.Groups[2].Value));
        int columns = (int)Math.Ceiling(Math.Sqrt(filters)), rows = (filters + columns - 1) / columns;
        (grid.Width, grid.Height).Should().Be((2 + columns * (8 * 3 + 2), 2 + rows * (8 * 3 + 2)), "3×3 filters drawn 8 pixels a weight");
        (await HoverAsync("conv2")).Should().NotContain("data:image/png", "conv2's filters weigh conv1's maps, not pixels");
    }
}
