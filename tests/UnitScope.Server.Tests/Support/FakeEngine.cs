using System.Security.Cryptography;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Server.Images;
using UnitScope.Server.Models;

namespace UnitScope.Server.Tests.Support;

/// <summary>
/// A stand-in engine for in-process daemon tests: checkpoints are small text files whose content
/// says how loading goes ("ok", "corrupt", "unsafe", "crash"); a model has a few fixed layers.
/// </summary>
internal sealed class FakeEngine : IModelLoader, IImageCodec, IOverlayRenderer
{
    public static readonly byte[] OverlayBytes = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];

    public int LoadCount;
    /// <summary>When set, ComputeUnitMap waits for it (to test cancellation and queuing).</summary>
    public TaskCompletionSource? UnitMapGate;
    /// <summary>Signalled when a ComputeUnitMap starts.</summary>
    public SemaphoreSlim UnitMapStarted { get; } = new(0);
    public List<FakeModel> Disposed { get; } = [];
    /// <summary>When set, Load waits for it (or for cancellation): a load that takes long.</summary>
    public TaskCompletionSource? LoadGate;
    /// <summary>Signalled when a Load starts waiting at <see cref="LoadGate"/>.</summary>
    public SemaphoreSlim LoadStarted { get; } = new(0);

    public IModel Load(string checkpointPath, ModelOptions options, CancellationToken ct = default)
    {
        if (!File.Exists(checkpointPath))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Checkpoint not found: '{checkpointPath}'.");
        if (LoadGate is { } gate)
        {
            LoadStarted.Release();
            gate.Task.Wait(ct);
        }
        var content = File.ReadAllText(checkpointPath).Trim();
        switch (content)
        {
            case "corrupt": throw new UnitScopeException(EngineErrorKind.CorruptCheckpoint, $"'{checkpointPath}' is truncated.");
            case "unsafe": throw new UnitScopeException(EngineErrorKind.UnsafeCheckpoint, $"'{checkpointPath}' calls os.system; refused.");
            case "crash": throw new InvalidOperationException("the fake engine crashed");
        }
        if (options.Architecture is { } arch && arch != "fakenet")
            throw new UnitScopeException(EngineErrorKind.ArchitectureMismatch, $"'{checkpointPath}' does not fit {arch}.");
        Interlocked.Increment(ref LoadCount);
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpointPath)));
        return new FakeModel(this, checkpointPath, hash, options);
    }

    public RgbImage Load(string path, ImageDecodeHint? hint = null)
    {
        if (!File.Exists(path)) throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Image file not found: '{path}'.");
        return Decode(File.ReadAllBytes(path), path);
    }

    public RgbImage Decode(byte[] bytes, string nameForErrors, ImageDecodeHint? hint = null)
    {
        if (bytes.Length < 3 || bytes[0] != 'I' || bytes[1] != 'M' || bytes[2] != 'G')
            throw new UnitScopeException(EngineErrorKind.BadImage, $"'{nameForErrors}' is not an image.");
        return new RgbImage(20, 10, 3, new byte[20 * 10 * 3]);
    }

    public byte[] RenderOverlayPng(RgbImage image, UnitMap map) => OverlayBytes;

    public static readonly IReadOnlyList<LayerInfo> Layers =
    [
        new("conv1", "Conv2d", 4, [4, 8, 8]),
        new("bn1", "BatchNorm2d", 4, [4, 8, 8]),
        new("layer1", "Sequential", 8, [8, 4, 4]),
        new("layer1.0", "BasicBlock", 8, [8, 4, 4]),
        new("layer1.0.conv1", "Conv2d", 8, [8, 4, 4]),
        new("layer1.1", "BasicBlock", 8, [8, 4, 4]),
        new("layer1.1.conv1", "Conv2d", 8, [8, 4, 4]),
        new("fc", "Linear", 3, [3]),
    ];

    internal sealed class FakeModel(FakeEngine engine, string path, string hash, ModelOptions options) : IModel
    {
        public string CheckpointPath => path;
        public string CheckpointHash => hash;
        public string Architecture => "fakenet";
        public InputSpec Input => new(3, options.InputHeight ?? 8, options.InputWidth ?? 8, InputSpec.ImageNetMean, InputSpec.ImageNetStd);
        public int ClassCount => 3;
        public string DeviceName => "cpu";
        public IReadOnlyList<LayerInfo> Layers => FakeEngine.Layers;

        public Prediction Predict(RgbImage image, int top) =>
            new([1f, 2f, 3f], [0.09f, 0.24f, 0.67f], new List<ClassScore> { new(2, "triangle", 0.67f), new(1, "square", 0.24f), new(0, "circle", 0.09f) }.Take(top).ToList());

        public UnitMap ComputeUnitMap(RgbImage image, string layer, int unit)
        {
            var info = Layers.FirstOrDefault(l => l.Name == layer)
                       ?? throw new UnitScopeException(EngineErrorKind.UnknownLayer, $"No layer '{layer}'; did you mean conv1?");
            if (unit < 0 || unit >= info.Units)
                throw new UnitScopeException(EngineErrorKind.UnitOutOfRange, $"Unit {unit} is out of range for {layer} ({info.Units} units).");
            engine.UnitMapStarted.Release();
            engine.UnitMapGate?.Task.Wait();
            var values = new[] { 0f, 1f, 2f, 3f, 4f, 5f };
            return new UnitMap(layer, unit, 2, 3, values, 0f, 5f, 2.5f);
        }

        public void Dispose()
        {
            lock (engine.Disposed) engine.Disposed.Add(this);
        }
    }
}
