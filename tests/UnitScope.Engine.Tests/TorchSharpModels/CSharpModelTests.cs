using System.Runtime.CompilerServices;
using TorchSharp;
using UnitScope.Engine.Layers;
using UnitScope.Engine.TorchSharpModels;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.TorchSharpModels;

/// <summary>
/// A TorchSharp model loaded "together with its C# definition": the user's class from their
/// compiled assembly (tests/fixtures/torchsharp_models, built by the test) or from its single
/// source file, with a .dat written by TorchSharp's own <c>Module.save</c>.
/// </summary>
// Compares forward passes bit for bit (before/after, the model run directly): apart from tests that switch oneDNN.
[Collection(ExactNumerics.Name)]
public sealed class CSharpModelTests : IDisposable
{
    public CSharpModelTests() => UnitScope.Engine.Runtime.TorchRuntime.EnsureLoaded();

    readonly string _dir = Directory.CreateTempSubdirectory("unitscope-csharp-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static CSharpModelDefinition FromAssembly(string? type) => CSharpModelDefinition.Create(FixtureModels.Assembly, null, type);

    static CSharpModelDefinition FromSource(string? type, string? file = null) =>
        CSharpModelDefinition.Create(null, file ?? FixtureModels.SourceFile, type);

    static ModelOptions Options(CSharpModelDefinition definition, int size = 32) =>
        new() { Device = "cpu", Definition = definition, InputHeight = size, InputWidth = size };

    /// <summary>
    /// Builds <paramref name="type"/> the way the loader does, gives its BatchNorms non-trivial
    /// statistics, and saves it with TorchSharp's <c>Module.save</c>; returns the model (the reference) and the .dat.
    /// </summary>
    (CSharpModel Reference, string Dat) Saved(string type)
    {
        var reference = CSharpModelLoader.Build(FromAssembly(type));
        var generator = new torch.Generator(11);
        using (torch.no_grad())
        {
            foreach (var (name, buffer) in reference.Module.named_buffers())
            {
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.copy_(torch.rand(buffer.shape, generator: generator) - 0.5);
                if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.copy_(torch.rand(buffer.shape, generator: generator) + 0.5);
            }
        }
        reference.Module.eval();
        string dat = Path.Combine(_dir, type.Split('.')[^1] + ".dat");
        reference.Module.save(dat);
        return (reference, dat);
    }

    static float[] Run(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return model.call(input).contiguous().data<float>().ToArray();
    }

    static float[] Run(ModelSession session, Tensor input) =>
        session.ForwardBatch(input, [], pass => pass.Output.contiguous().cpu().data<float>().ToArray());

    static UnitScopeException LoadFails(string dat, CSharpModelDefinition definition, EngineErrorKind kind)
    {
        var error = FluentActions.Invoking(() => ModelSession.Load(dat, Options(definition)))
            .Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        return error;
    }

    [Fact]
    public void The_users_class_from_their_assembly_runs_as_the_model_with_its_layers_addressable()
    {
        var (reference, dat) = Saved("FixtureModels.TinyCnn");
        using var _ = reference.Context;
        using var model = reference.Module;
        using var session = ModelSession.Load(dat, Options(FromAssembly("FixtureModels.TinyCnn")));

        session.Architecture.Should().Be("FixtureModels.TinyCnn (C#)");
        session.Layers.Select(l => l.Name).Should().Equal(
            "stem", "stem.conv", "stem.bn", "stem.relu", "pool", "block", "block.conv", "block.bn", "block.relu", "avgpool", "fc");
        session.GetLayer("block.conv").Should().BeEquivalentTo(new { Kind = "Conv2d", Units = 16, OutputShape = new[] { 16, 16, 16 } });
        session.GetLayer("stem.bn").Kind.Should().Be("BatchNorm2d");
        session.GetLayer("block").Kind.Should().Be("ConvBlock");
        session.ClassCount.Should().Be(5);
        session.Input.Channels.Should().Be(3);

        using var input = torch.randn([2, 3, 32, 32], generator: new torch.Generator(3));
        Run(session, input).Should().Equal(Run(model, input), "the loaded model is the same model, run directly");
        session.CheckpointHash.Should().NotBe(Engine.Checkpoints.CheckpointReader.ComputeHash(dat), "the code is part of the model's identity");
    }

    [Fact]
    public void Shares_the_daemons_TorchSharp_and_unloads_its_code_on_dispose()
    {
        var (reference, dat) = Saved("FixtureModels.TinyCnn");
        reference.Module.Dispose();
        reference.Context.Dispose();

        var context = LoadAndDispose(dat);
        for (int i = 0; i < 10 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        context.IsAlive.Should().BeFalse("the model's load context is collectible and unloaded with the session");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    WeakReference LoadAndDispose(string dat)
    {
        var built = CSharpModelLoader.Build(FromAssembly("FixtureModels.TinyCnn"));
        built.Module.GetType().BaseType.Should().Be(typeof(nn.Module<Tensor, Tensor>), "the user's class derives from the daemon's own TorchSharp type");
        built.Module.Dispose();
        built.Context.Dispose();
        var weak = new WeakReference(built.Context);

        using var session = ModelSession.Load(dat, Options(FromAssembly("FixtureModels.TinyCnn")));
        session.Layers.Should().NotBeEmpty();
        return weak;
    }

    [Fact]
    public void A_static_factory_makes_the_model()
    {
        var (reference, dat) = Saved("FixtureModels.Factories.Sequential");
        using var _ = reference.Context;
        using var model = reference.Module;
        using var session = ModelSession.Load(dat, Options(FromAssembly("FixtureModels.Factories.Sequential"), size: 8));
        session.Layers.Select(l => l.Name).Should().Equal("conv", "relu", "pool", "flatten", "fc");
        session.Architecture.Should().Be("FixtureModels.Factories.Sequential() (C#)");
        using var input = torch.randn([1, 3, 8, 8]);
        Run(session, input).Should().Equal(Run(model, input));
    }

    [Fact]
    public void The_class_compiled_from_its_single_source_file_loads_the_dat_of_the_built_one()
    {
        var (reference, dat) = Saved("FixtureModels.TinyCnn");
        using var _ = reference.Context;
        using var model = reference.Module;
        using var session = ModelSession.Load(dat, Options(FromSource("FixtureModels.TinyCnn")));
        session.Layers.Should().HaveCount(11);
        using var input = torch.randn([1, 3, 32, 32]);
        Run(session, input).Should().Equal(Run(model, input));
    }

    [Fact]
    public void A_missing_type_lists_the_model_classes_closest_first()
    {
        var (reference, dat) = Saved("FixtureModels.TinyCnn");
        reference.Module.Dispose();
        reference.Context.Dispose();
        var error = LoadFails(dat, FromAssembly("FixtureModels.TinyCNNN"), EngineErrorKind.UnknownArchitecture);
        error.Message.Should().Contain("No type FixtureModels.TinyCNNN in FixtureModels.dll")
            .And.Contain("the model classes in FixtureModels.dll: FixtureModels.TinyCnn, ");
        LoadFails(dat, FromAssembly(null), EngineErrorKind.UnknownArchitecture).Message
            .Should().Contain("Name the model's class").And.Contain("FixtureModels.WideCnn");
        LoadFails(dat, FromAssembly("FixtureModels.NotAModel"), EngineErrorKind.UnknownArchitecture).Message
            .Should().Contain("FixtureModels.NotAModel is not an nn.Module<Tensor, Tensor>");
        LoadFails(dat, FromAssembly("FixtureModels.NeedsArguments"), EngineErrorKind.UnknownArchitecture).Message
            .Should().Contain("its constructors take (Int32 features)");
        LoadFails(dat, FromAssembly("FixtureModels.Factories.Missing"), EngineErrorKind.UnknownArchitecture).Message
            .Should().Contain("no public static method Missing()").And.Contain("Sequential()");
    }

    [Fact]
    public void A_constructor_that_throws_is_reported_with_its_exception_and_the_users_frames()
    {
        var (reference, dat) = Saved("FixtureModels.TinyCnn");
        reference.Module.Dispose();
        reference.Context.Dispose();
        var error = LoadFails(dat, FromAssembly("FixtureModels.Throwing"), EngineErrorKind.InvalidArgument);
        error.Message.Should().StartWith("new FixtureModels.Throwing() threw InvalidOperationException: width must be even, got 3.");
        error.Message.Should().Contain("at FixtureModels.Throwing..ctor()").And.Contain("Models.cs:line ");
    }

    [Fact]
    public void A_dat_that_does_not_fit_the_class_lists_every_name_and_shape()
    {
        var (reference, dat) = Saved("FixtureModels.WideCnn");
        reference.Module.Dispose();
        reference.Context.Dispose();
        var error = LoadFails(dat, FromAssembly("FixtureModels.TinyCnn"), EngineErrorKind.ArchitectureMismatch);
        error.Message.Should().Contain("does not fit FixtureModels.TinyCnn")
            .And.Contain("2 not in FixtureModels.TinyCnn: extra.weight, extra.bias")
            .And.Contain("stem.conv.weight: checkpoint [12, 3, 3, 3], FixtureModels.TinyCnn [8, 3, 3, 3]")
            .And.Contain("block.conv.weight: checkpoint [16, 12, 3, 3], FixtureModels.TinyCnn [16, 8, 3, 3]")
            .And.NotContain("fc.weight", "fc has the same shape in both");
    }

    [Fact]
    public void Missing_code_files_and_compile_errors_name_the_file()
    {
        string dat = Path.Combine(_dir, "x.dat");
        using (var model = nn.Linear(2, 2)) model.save(dat);
        LoadFails(dat, CSharpModelDefinition.Create(Path.Combine(_dir, "nope.dll"), null, "X"), EngineErrorKind.FileNotFound)
            .Message.Should().Contain("nope.dll");

        string broken = Path.Combine(_dir, "Broken.cs");
        File.WriteAllText(broken, "using TorchSharp;\npublic class Net : torch.nn.Module<torch.Tensor, torch.Tensor>\n{\n    public Net() : base(\"n\") { undefined(); }\n}\n");
        var error = LoadFails(dat, FromSource("Net", broken), EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain("Broken.cs does not compile").And.Contain("Broken.cs(4,").And.Contain("CS0103");

        string notDotnet = Path.Combine(_dir, "native.dll");
        File.WriteAllBytes(notDotnet, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        LoadFails(dat, CSharpModelDefinition.Create(notDotnet, null, "X"), EngineErrorKind.InvalidArgument).Message
            .Should().Contain("is not a .NET assembly");

        FluentActions.Invoking(() => CSharpModelDefinition.Create(null, null, "X")).Should().Throw<UnitScopeException>()
            .Which.Kind.Should().Be(EngineErrorKind.InvalidArgument);
    }

    [Fact]
    public void Layers_listed_by_the_catalog_are_those_of_the_users_module()
    {
        var built = CSharpModelLoader.Build(FromAssembly("FixtureModels.TinyCnn"));
        using var _ = built.Context;
        using var model = built.Module;
        LayerCatalog.HookableModules(model).Keys.Should().Contain(["stem.conv", "block.bn", "fc"]);
    }
}
