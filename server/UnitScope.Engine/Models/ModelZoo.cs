using static TorchSharp.torch;

namespace UnitScope.Engine.Models;

/// <summary>The built-in architectures, by name, and detection of which one a checkpoint holds.</summary>
public static class ModelZoo
{
    static readonly IArchitectureFamily[] Families =
        [new SmallCnnFamily(), new AlexNetFamily(), new VggFamily(), new ResNetFamily()];

    public static IReadOnlyList<string> Names { get; } = [.. Families.SelectMany(f => f.Names)];

    /// <summary>Which architecture the checkpoint's keys and shapes describe, or null.</summary>
    public static string? Detect(ParameterShapes shapes) =>
        Families.Select(f => f.Detect(shapes)).FirstOrDefault(name => name is not null);

    public static int DefaultInputSize(string name) => FamilyOf(name).DefaultInputSize;

    /// <summary>Builds <paramref name="name"/> (in eval mode, on the CPU) with widths read from <paramref name="shapes"/>.</summary>
    public static nn.Module<Tensor, Tensor> Build(string name, ParameterShapes shapes)
    {
        var model = FamilyOf(name).Build(Normalize(name), shapes);
        model.eval();
        return model;
    }

    public static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace("-", "");

    static IArchitectureFamily FamilyOf(string name) =>
        Families.FirstOrDefault(f => f.Names.Contains(Normalize(name)))
        ?? throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
            $"Unknown architecture '{name}'. Known: {string.Join(", ", Names)}.");
}
