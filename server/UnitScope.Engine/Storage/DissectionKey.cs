using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Storage;

/// <summary>
/// What identifies one layer's dissection result: the checkpoint (hash of its bytes), the layer, the
/// probe dataset (hash of its content) and the options that change the result. <see cref="Value"/>
/// is the key's stable string: the lowercase hex SHA-256 of <see cref="CanonicalEncoding"/>.
/// </summary>
/// <remarks>
/// The canonical encoding is UTF-8 text, one field per line, each line ending in '\n', in this order:
/// <code>
/// unitscope/dissection/v{AlgorithmVersion}
/// checkpoint:{checkpoint hash, lowercase}
/// layer:{length of the layer name in UTF-16 code units}:{layer name}
/// dataset:{dataset hash, lowercase}
/// quantile:{Quantile, shortest round-trip ("R") invariant-culture form}
/// iouThreshold:{IouThreshold, same form}
/// topImages:{TopImages}
/// maxImages:{MaxImages, or "all" when null}
/// </code>
/// The layer name is length-prefixed so no name can imitate the lines after it. BatchSize is not in
/// the key: it changes how fast the result comes, not the result (up to float rounding), so a run
/// with another --batch-size reuses what is stored. Bump <see cref="AlgorithmVersion"/> when the
/// dissection itself changes what it computes: every older entry then stops matching.
/// </remarks>
public sealed record DissectionKey
{
    /// <summary>Version of the dissection algorithm's output that keys refer to.</summary>
    public const int AlgorithmVersion = 2;

    public DissectionKey(string checkpointHash, string layer, string datasetHash, DissectionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointHash);
        ArgumentException.ThrowIfNullOrEmpty(layer);
        ArgumentException.ThrowIfNullOrEmpty(datasetHash);
        ArgumentNullException.ThrowIfNull(options);
        CheckpointHash = checkpointHash.ToLowerInvariant();
        Layer = layer;
        DatasetHash = datasetHash.ToLowerInvariant();
        Options = options;
        CanonicalEncoding = Encode(CheckpointHash, Layer, DatasetHash, Options);
        Value = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalEncoding)));
    }

    /// <summary>The key of a result: from its own checkpoint, layer, dataset and options.</summary>
    public static DissectionKey For(LayerDissection dissection)
    {
        ArgumentNullException.ThrowIfNull(dissection);
        return new DissectionKey(dissection.CheckpointHash, dissection.Layer, dissection.DatasetHash, dissection.Options);
    }

    public string CheckpointHash { get; }
    public string Layer { get; }
    public string DatasetHash { get; }
    public DissectionOptions Options { get; }

    /// <summary>The text whose SHA-256 is <see cref="Value"/> (see the remarks).</summary>
    public string CanonicalEncoding { get; }

    /// <summary>64 lowercase hex digits.</summary>
    public string Value { get; }

    public bool Equals(DissectionKey? other) => other is not null && other.Value == Value;

    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Value;

    static string Encode(string checkpoint, string layer, string dataset, DissectionOptions o)
    {
        var text = new StringBuilder();
        text.Append("unitscope/dissection/v").Append(AlgorithmVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("checkpoint:").Append(checkpoint).Append('\n');
        text.Append("layer:").Append(layer.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(layer).Append('\n');
        text.Append("dataset:").Append(dataset).Append('\n');
        text.Append("quantile:").Append(o.Quantile.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("iouThreshold:").Append(o.IouThreshold.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("topImages:").Append(o.TopImages.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("maxImages:").Append(o.MaxImages is { } max ? max.ToString(CultureInfo.InvariantCulture) : "all").Append('\n');
        return text.ToString();
    }
}
