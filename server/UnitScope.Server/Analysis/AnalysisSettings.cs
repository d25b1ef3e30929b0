using UnitScope.Protocol;

namespace UnitScope.Server.Analysis;

/// <summary>Occlusion parameters, checked and resolved except what needs the image (target class, unit).</summary>
internal sealed record OcclusionSettings(
    int Size,
    int Stride,
    IReadOnlyList<float>? Fill,
    int? TargetClass,
    string? Layer,
    int? Unit,
    int BatchSize);

internal sealed record AblationSettings(
    string Layer,
    IReadOnlyList<int> Units,
    bool RandomControl,
    int Seed,
    int? MaxImages,
    int BatchSize);

internal sealed record RankSettings(
    string Layer,
    int Class,
    RankMetric Metric,
    int Top,
    int RandomDraws,
    int? MaxImages,
    int BatchSize);

internal sealed record UnitClassSettings(
    string Layer,
    int Unit,
    int Class,
    int? MaxImages,
    int BatchSize);
