namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>What a run reports beyond its result, for tests.</summary>
internal sealed class DissectionTrace
{
    /// <summary>Each layer's IoU table, [unit × (max concept id + 1)].</summary>
    public Dictionary<string, double[]> Iou { get; } = [];
    /// <summary>How many units of each layer had their threshold counted a second time (quantile under the floor).</summary>
    public Dictionary<string, int> Recounted { get; } = [];
}
