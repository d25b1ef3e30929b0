using System.Text;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// A TorchSharp model with its C# definition through the real daemon over stdio: a .dat and the
/// single source file that defines the model (tests/fixtures/torchsharp_models/Models.cs, compiled
/// by the daemon), then errors from the user's code, after which the daemon keeps serving.
/// </summary>
public class CSharpModelRoundTripTests
{
    // Roslyn compiles the model source inside the daemon: over 2 minutes on a 2-core machine at load 46.
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(6);

    /// <summary>
    /// A TorchSharp .dat written byte by byte (the format Module.save writes: LEB128 count; per entry
    /// the key as a BinaryWriter string, LEB128 ScalarType, rank and dims, then the raw floats).
    /// </summary>
    private static void WriteDat(string path, params (string Key, long[] Shape, Func<int, float> Value)[] entries)
    {
        using var writer = new BinaryWriter(File.Create(path), Encoding.UTF8);
        void Leb(long v)
        {
            do
            {
                byte b = (byte)(v & 0x7f);
                v >>= 7;
                writer.Write(v == 0 ? b : (byte)(b | 0x80));
            } while (v != 0);
        }
        Leb(entries.Length);
        foreach (var (key, shape, value) in entries)
        {
            writer.Write(key);
            Leb(6); // ScalarType.Float32
            Leb(shape.Length);
            foreach (long d in shape) Leb(d);
            long count = shape.Aggregate(1L, (a, b) => a * b);
            for (int i = 0; i < count; i++) writer.Write(value(i));
        }
    }

    [Fact]
    public async Task A_dat_with_its_csharp_source_file_loads_and_runs_and_errors_keep_the_daemon_serving()
    {
        string dir = Directory.CreateTempSubdirectory("unitscope-csharp-rt-").FullName;
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(dir, "cache") });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(ProcessId: Environment.ProcessId), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });

            // FixtureModels.Factories.Sequential(): conv (3→4, 3×3), relu, pool, flatten, fc (4→3).
            string dat = Path.Combine(dir, "sequential.dat");
            WriteDat(dat,
                ("conv.weight", [4, 3, 3, 3], i => (i % 7 - 3) / 10f),
                ("conv.bias", [4], i => i / 10f),
                ("fc.weight", [3, 4], i => (i % 5 - 2) / 4f),
                ("fc.bias", [3], i => 0.1f * i));
            string source = RepoPaths.Get("tests", "fixtures", "torchsharp_models", "Models.cs");
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel,
                new LoadModelParams(dat, InputSize: [16, 16], Device: "cpu", SourcePath: source, TypeName: "FixtureModels.Factories.Sequential"), Slow);
            model.Architecture.Should().Be("FixtureModels.Factories.Sequential() (C#)", Context());
            model.Layers.Select(l => l.Name).Should().Equal("conv", "relu", "pool", "flatten", "fc");
            model.Layers[0].OutputShape.Should().Equal(4, 16, 16);
            model.ClassCount.Should().Be(3);

            var prediction = await client.CallAsync<PredictResult>(Methods.Predict,
                new PredictParams(model.ModelId, RepoPaths.Get("samples", "images", "circle.png")), Slow);
            prediction.Probabilities.Sum().Should().BeApproximately(1f, 1e-5f);
            var map = await client.CallAsync<UnitMapResult>(Methods.UnitMap,
                new UnitMapParams(model.ModelId, "conv", 2, RepoPaths.Get("samples", "images", "circle.png")), Slow);
            map.MapWidth.Should().Be(16);

            var thrown = await client.CallExpectingErrorAsync(Methods.LoadModel,
                new LoadModelParams(dat, Device: "cpu", SourcePath: source, TypeName: "FixtureModels.Throwing"), Slow);
            thrown.Code.Should().Be(ErrorCodes.InvalidArgument);
            thrown.Message.Should().Contain("new FixtureModels.Throwing() threw InvalidOperationException: width must be even, got 3");

            var mismatch = await client.CallExpectingErrorAsync(Methods.LoadModel,
                new LoadModelParams(dat, Device: "cpu", SourcePath: source, TypeName: "FixtureModels.TinyCnn"), Slow);
            mismatch.Code.Should().Be(ErrorCodes.ArchitectureMismatch);
            mismatch.Message.Should().Contain("conv.weight").And.Contain("missing from the checkpoint");

            var missing = await client.CallExpectingErrorAsync(Methods.LoadModel,
                new LoadModelParams(dat, Device: "cpu", SourcePath: source, TypeName: "FixtureModels.Nope"), Slow);
            missing.Code.Should().Be(ErrorCodes.UnknownArchitecture);

            var list = await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams());
            list.Models.Select(m => m.ModelId).Should().Equal(model.ModelId);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
