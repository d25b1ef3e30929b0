namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>What a run reports beyond its result, for tests.</summary>
internal sealed class DissectionTrace
{
    /// <summary>Each layer's IoU table, [unit × (max concept id + 1)].</summary>
    public Dictionary<string, double[]> Iou { get; } = [];
    /// <summary>How many passes over each layer's spill its exact thresholds took (<see cref="ExactThresholds"/>).</summary>
    public Dictionary<string, int> ThresholdRounds { get; } = [];
}
