using System.Globalization;
using LayerInfo = UnitScope.Engine.Layers.LayerInfo;
using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Analysis;

/// <summary>
/// Checks of what a client asks of occlusion, ablation and dissection, against the model, before anything runs:
/// every failure is a documented error naming the parameter (UnknownLayer, UnitOutOfRange,
/// InvalidArgument, InvalidParams) and leaves nothing started.
/// </summary>
internal static class AnalysisChecks
{
    public const int DefaultBatchSize = 32;
    public const int DefaultSeed = 1;
    public const int MaxBatchSize = 1024;
    public const int DefaultTop = 20;
    public const int DefaultRandomDraws = 5;
    public const int MaxRandomDraws = 100;

    /// <summary>The layer by exact name; unknown names get the close ones suggested.</summary>
    /// <param name="spatial">Only layers with a [C,H,W] output; otherwise [F] outputs are accepted too.</param>
    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams (empty), UnknownLayer, InvalidArgument (wrong shape).</exception>
    public static LayerInfo Layer(IModel model, string? requested, bool spatial, string purpose)
    {
        var name = requested?.Trim() ?? "";
        if (name.Length == 0) throw RpcErrors.InvalidParams("layer is empty.");
        var info = model.Layers.FirstOrDefault(l => l.Name == name);
        if (info is null)
        {
            var close = model.Layers.Select(l => l.Name)
                .Where(n => n.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(n, StringComparison.OrdinalIgnoreCase))
                .Take(5).ToList();
            throw RpcErrors.Application(ErrorKind.UnknownLayer,
                $"No layer '{name}' in the model" + (close.Count > 0 ? $"; did you mean {string.Join(", ", close)}?" : "."));
        }
        var shape = info.OutputShape.Count;
        if (info.Units <= 0 || (spatial ? shape != 3 : shape is not (1 or 3)))
            throw RpcErrors.Application(ErrorKind.InvalidArgument,
                $"Layer '{name}' ({info.Kind}) has output [{string.Join(", ", info.OutputShape)}]; {purpose} needs " +
                (spatial ? "a spatial output [C, H, W]." : "units: an output [C, H, W] or [F]."));
        return info;
    }

    /// <exception cref="StreamJsonRpc.LocalRpcException">UnitOutOfRange.</exception>
    public static int Unit(int unit, LayerInfo layer)
    {
        if (unit < 0 || unit >= layer.Units)
            throw RpcErrors.Application(ErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range for {layer.Name} ({layer.Units} units: 0 to {layer.Units - 1}).");
        return unit;
    }

    /// <summary>The units, without duplicates, ascending.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams (none), UnitOutOfRange.</exception>
    public static IReadOnlyList<int> Units(IReadOnlyList<int>? units, LayerInfo layer)
    {
        if (units is null || units.Count == 0) throw RpcErrors.InvalidParams("units is empty: name at least one unit to ablate.");
        var distinct = units.Distinct().Order().ToList();
        foreach (var u in distinct) Unit(u, layer);
        return distinct;
    }

    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidArgument.</exception>
    public static int Class(int cls, IReadOnlyList<string> classNames, string parameter = "class")
    {
        if (cls < 0 || cls >= classNames.Count)
            throw RpcErrors.Application(ErrorKind.InvalidArgument,
                $"{parameter} {cls} is out of range: the model has {classNames.Count} classes (0 to {classNames.Count - 1}).");
        return cls;
    }

    public static int BatchSize(int? batchSize)
    {
        var b = batchSize ?? DefaultBatchSize;
        if (b < 1 || b > MaxBatchSize) throw RpcErrors.InvalidParams($"batchSize must be from 1 to {MaxBatchSize}; got {b}.");
        return b;
    }

    public static int? MaxImages(int? maxImages)
    {
        if (maxImages is { } m && m < 1) throw RpcErrors.InvalidParams($"maxImages must be positive; got {m}.");
        return maxImages;
    }

    public static OcclusionSettings Occlusion(OccludeParams p, IModel model, IReadOnlyList<string> classNames)
    {
        var side = Math.Min(model.Input.Height, model.Input.Width);
        if (p.Size < 1 || p.Size > side)
            throw RpcErrors.InvalidParams($"size must be from 1 to {side} (the model's input is {model.Input.Width}×{model.Input.Height}); got {p.Size}.");
        if (p.Stride < 1 || p.Stride > side)
            throw RpcErrors.InvalidParams($"stride must be from 1 to {side}; got {p.Stride}.");
        if (p.Fill is { } fill)
        {
            if (fill.Count != 1 && fill.Count != model.Input.Channels)
                throw RpcErrors.InvalidParams($"fill needs 1 or {model.Input.Channels} values (one per channel); got {fill.Count}.");
            if (fill.Any(v => !(v >= 0 && v <= 1)))
                throw RpcErrors.InvalidParams(
                    $"fill values must be in [0, 1] (before normalisation); got [{string.Join(", ", fill.Select(v => v.ToString(CultureInfo.InvariantCulture)))}].");
        }
        if (p.TargetClass is { } target) Class(target, classNames, "targetClass");
        string? layer = null;
        if (p.Layer is not null || p.Unit is not null)
        {
            if (p.Layer is null) throw RpcErrors.InvalidParams("unit needs a layer.");
            var info = Layer(model, p.Layer, spatial: true, "an occlusion activity map");
            if (p.Unit is { } unit) Unit(unit, info);
            layer = info.Name;
        }
        return new OcclusionSettings(p.Size, p.Stride, p.Fill is null ? null : [.. p.Fill], p.TargetClass, layer, p.Unit, BatchSize(p.BatchSize));
    }

    public static AblationSettings Ablation(AblateParams p, IModel model)
    {
        var layer = Layer(model, p.Layer, spatial: false, "ablation");
        return new AblationSettings(layer.Name, Units(p.Units, layer), p.RandomControl ?? true, p.Seed ?? DefaultSeed, MaxImages(p.MaxImages), BatchSize(p.BatchSize));
    }

    public static RankSettings Ranking(RankUnitsParams p, IModel model, IReadOnlyList<string> classNames)
    {
        var layer = Layer(model, p.Layer, spatial: false, "ranking units");
        Class(p.Class, classNames);
        var top = p.Top ?? DefaultTop;
        if (top < 1) throw RpcErrors.InvalidParams($"top must be positive; got {top}.");
        var draws = p.RandomDraws ?? DefaultRandomDraws;
        if (draws < 1 || draws > MaxRandomDraws) throw RpcErrors.InvalidParams($"randomDraws must be from 1 to {MaxRandomDraws}; got {draws}.");
        return new RankSettings(layer.Name, p.Class, p.Metric ?? RankMetric.Accuracy, Math.Min(top, layer.Units), draws,
            MaxImages(p.MaxImages), BatchSize(p.BatchSize));
    }

    public static UnitClassSettings UnitClass(UnitClassStatsParams p, IModel model, IReadOnlyList<string> classNames)
    {
        var layer = Layer(model, p.Layer, spatial: false, "single-unit statistics");
        Unit(p.Unit, layer);
        Class(p.Class, classNames);
        return new UnitClassSettings(layer.Name, p.Unit, p.Class, MaxImages(p.MaxImages), BatchSize(p.BatchSize));
    }
}
