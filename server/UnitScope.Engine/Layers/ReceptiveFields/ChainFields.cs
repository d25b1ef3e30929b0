namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// Receptive fields in closed form (Araujo et al. 2019, single-path networks) for every module output reached from
/// the input through modules alone: a module whose input is the output of a module with a known field (or the
/// input itself) and that is a known window or pointwise op gets that field composed with its own geometry.
/// A module fed by anything else (a residual sum, a functional op) is left out: <see cref="GradientFields"/> measures those.
/// </summary>
public static class ChainFields
{
    /// <returns>The field of each traced module's last call, for those on a chain from the input.</returns>
    public static IReadOnlyDictionary<string, ReceptiveField> Compose(IReadOnlyList<ModuleCall> calls, object input)
    {
        var fieldOf = new Dictionary<object, ReceptiveField>(ReferenceEqualityComparer.Instance)
        {
            [input] = new ReceptiveField(FieldAxis.Pixel, FieldAxis.Pixel),
        };
        foreach (var call in calls.Where(c => c.IsLeaf))
        {
            ReceptiveField? composed = fieldOf.TryGetValue(call.Input, out var field) && call.OutputShape.Length == 4
                ? ModuleOps.Of(call.Module) switch
                {
                    WindowOp window => window.Apply(field),
                    PointwiseOp => field,
                    // bins of one position each
                    AdaptivePoolOp when call.InputShape.AsSpan(2).SequenceEqual(call.OutputShape.AsSpan(2)) => field,
                    _ => null,
                }
                : null;
            if (composed is null) fieldOf.Remove(call.Output);
            else fieldOf[call.Output] = composed;
        }
        var byLayer = new Dictionary<string, ReceptiveField>(StringComparer.Ordinal);
        foreach (var call in calls) // the last call of a module wins, as its captured output does
        {
            if (fieldOf.TryGetValue(call.Output, out var field)) byLayer[call.Name] = field;
            else byLayer.Remove(call.Name);
        }
        return byLayer;
    }
}
