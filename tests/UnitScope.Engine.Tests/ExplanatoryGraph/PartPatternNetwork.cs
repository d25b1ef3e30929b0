using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Models.Architectures;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.ExplanatoryGraph;

/// <summary>
/// A hand-built SmallCnn (weights constructed, not trained) whose filters detect known parts at known relative
/// positions, and images of its "object". conv1 and conv2 pass colours through: filter 0 red, 1 blue, 2 green (conv2
/// at 38×38 for a 76×76 input). conv3 (19×19) filter 0 is the object: red one cell up-left of it and blue one cell
/// down-right (bias −1, so it needs both). Each image shows the object (a red and a blue 6-pixel square, the blue
/// <see cref="PartOffset"/> pixels right of and below the red) at a jittered position, a green square anywhere
/// (texture: no stable relation) and in every other image a stray red square away from the object.
/// </summary>
public sealed class PartPatternNetwork : IDisposable
{
    public const int Size = 76, Blob = 6, PartOffset = 8;
    readonly string _dir = Directory.CreateTempSubdirectory("unitscope-graph-").FullName;

    public PartPatternNetwork()
    {
        using var model = new SmallCnn(new SmallCnnConfig(3, [4, 4, 4, 4], 2));
        using (no_grad())
        {
            var state = model.state_dict();
            foreach (var (name, tensor) in state)
                if (name.EndsWith("running_var", StringComparison.Ordinal) || (name.StartsWith("bn", StringComparison.Ordinal) && name.EndsWith("weight", StringComparison.Ordinal)))
                    tensor.fill_(1);
                else tensor.zero_();
            var conv1 = state["conv1.weight"];
            int[] channelOf = [0, 2, 1]; // filter 0 red, 1 blue, 2 green
            for (int filter = 0; filter < 3; filter++)
                for (int input = 0; input < 3; input++)
                    conv1[filter, input, 1, 1] = input == channelOf[filter] ? 1f : -1f;
            for (int colour = 0; colour < 3; colour++)
                state["conv2.weight"][colour, colour, 1, 1] = 1f;
            state["conv3.weight"][0, 0, 0, 0] = 1f; // red up-left
            state["conv3.weight"][0, 1, 2, 2] = 1f; // blue down-right
            state["conv3.bias"][0] = -1f;
            CheckpointPath = Path.Combine(_dir, "parts.safetensors");
            SafetensorsWriter.Write(CheckpointPath, state);
        }
        Session = ModelSession.Load(CheckpointPath, new ModelOptions
        {
            Device = "cpu", InputHeight = Size, InputWidth = Size, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
        });
    }

    public string CheckpointPath { get; }
    public ModelSession Session { get; }

    public void Dispose()
    {
        Session.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Where one image's squares are: each square's top-left pixel.</summary>
    public sealed record Scene(int RedX, int RedY, int GreenX, int GreenY, int? StrayX, int? StrayY)
    {
        public int BlueX => RedX + PartOffset;
        public int BlueY => RedY + PartOffset;
    }

    public static Scene MakeScene(int seed)
    {
        var random = new Random(seed);
        int redX = 26 + random.Next(-10, 11), redY = 26 + random.Next(-10, 11);
        int greenX = random.Next(0, Size - Blob), greenY = random.Next(0, Size - Blob);
        int? strayX = null, strayY = null;
        if (seed % 2 == 1)
            do { strayX = random.Next(0, Size - Blob); strayY = random.Next(0, Size - Blob); }
            while (Math.Abs(strayX.Value - redX) < 24 && Math.Abs(strayY.Value - redY) < 24);
        return new Scene(redX, redY, greenX, greenY, strayX, strayY);
    }

    public static RgbImage Draw(Scene scene)
    {
        var pixels = new byte[Size * Size * 3];
        void Square(int x0, int y0, int channel)
        {
            for (int y = y0; y < y0 + Blob; y++)
                for (int x = x0; x < x0 + Blob; x++)
                    pixels[(y * Size + x) * 3 + channel] = 255;
        }
        Square(scene.GreenX, scene.GreenY, 1);
        if (scene.StrayX is { } sx) Square(sx, scene.StrayY!.Value, 0);
        Square(scene.RedX, scene.RedY, 0);
        Square(scene.BlueX, scene.BlueY, 2);
        return new RgbImage(Size, Size, 3, pixels);
    }

    /// <summary>The object's images, drawn on demand.</summary>
    public sealed class Images(int count, int firstSeed = 0) : IImageSet
    {
        public string Name => "parts";
        public string ContentHash => $"parts-{count}-{firstSeed}";
        public int Count => count;
        public string PathOf(int index) => $"parts{firstSeed + index}.png";
        public RgbImage Load(int index) => Draw(MakeScene(firstSeed + index));
        public Scene SceneOf(int index) => MakeScene(firstSeed + index);
    }
}
