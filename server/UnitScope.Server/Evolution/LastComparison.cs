using System.Globalization;
using UnitScope.Protocol;

namespace UnitScope.Server.Evolution;

/// <summary>
/// The comparison the user ran last (<c>unitscope/compareCheckpoints</c>), so that hovering a layer of either checkpoint
/// shows how much it moved: its CKA, its place among the layers by change, and the matched units whose label changed.
/// One for the daemon (a later comparison replaces it); keyed by the two checkpoints' hashes, so it outlives a reload of
/// the same files.
/// </summary>
internal sealed class LastComparison
{
    private volatile Entry? _last;

    /// <param name="fileA">A's file name, as the hover of a layer of B names it (and the other way round).</param>
    public void Remember(CompareCheckpointsResult result, string fileA, string fileB) => _last = new Entry(result, fileA, fileB);

    /// <summary>The hover's line for a layer of the checkpoint with <paramref name="checkpointHash"/>, or null when the
    /// last comparison did not involve it (or not that layer).</summary>
    public string? HoverLine(string checkpointHash, string layer)
    {
        var last = _last;
        if (last is null) return null;
        var r = last.Result;
        string? other = string.Equals(checkpointHash, r.CheckpointA, StringComparison.OrdinalIgnoreCase) ? last.FileB
            : string.Equals(checkpointHash, r.CheckpointB, StringComparison.OrdinalIgnoreCase) ? last.FileA : null;
        if (other is null || r.Layers.FirstOrDefault(l => l.Layer == layer) is not { } change) return null;
        return Line(change, other, r.RankedByChange.ToList().IndexOf(layer), r.Layers.Count);
    }

    /// <summary>"Compared with `epoch_9.pth`: CKA 0.83, the 2nd most changed of 8 layers; 3 of 16 matched units changed label."</summary>
    public static string Line(LayerChange change, string otherFile, int rank, int layers)
    {
        string cka = change.Cka is { } v ? $"CKA {v.ToString("0.00", CultureInfo.InvariantCulture)}" : "CKA unknown (a side is constant)";
        string place = rank < 0 ? "" : rank == 0 ? $", the most changed of {layers} layers" : $", the {Ordinal(rank + 1)} most changed of {layers} layers";
        string labels = change.LabelChanges is { } n ? $"; {n} of {change.Matches.Count} matched units changed label" : "; labels not compared (dissect both checkpoints)";
        return $"Compared with `{otherFile}`: {cka}{place}{labels}.";
    }

    private static string Ordinal(int n) =>
        n.ToString(CultureInfo.InvariantCulture) + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    private sealed record Entry(CompareCheckpointsResult Result, string FileA, string FileB);
}
