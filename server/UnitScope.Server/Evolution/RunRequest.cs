using UnitScope.Engine;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Evolution;

/// <summary>
/// What <c>unitscope/evolve</c> and <c>unitscope/followRun</c> ask of a run, checked the same way: the run made absolute
/// and, for a remote client, inside the server's roots; the layers trimmed, each once, at least one; the batch size and
/// image count in range. The same defaults, so what one stores the other finds.
/// </summary>
internal sealed record RunRequest(string Run, RunSettings Settings, int MaxImages)
{
    /// <summary>Small and fixed: enough images for stable means, a pass per checkpoint that stays cheap.</summary>
    public const int DefaultImages = 64, DefaultBatch = 16;

    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams naming the parameter; outside the roots.</exception>
    public static RunRequest Check(string? run, IReadOnlyList<string>? layers, bool dissect, int? batchSize, int? maxImages)
    {
        if (string.IsNullOrWhiteSpace(run)) throw RpcErrors.InvalidParams("run is empty: give the run's folder or a folder and a name pattern.");
        var named = (layers ?? []).Select(l => l?.Trim() ?? "").Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (named.Count == 0) throw RpcErrors.InvalidParams("layers is empty: name at least one layer to follow.");
        var settings = new RunSettings(named, dissect, AnalysisChecks.BatchSize(batchSize ?? DefaultBatch));
        int images = AnalysisChecks.MaxImages(maxImages) ?? DefaultImages;
        string full = Path.GetFullPath(run.Trim());
        // A remote client's run must lie in the server's roots (the Engine checks every file it reads too).
        UserFile.RequireInside(Directory.Exists(full) ? full : Path.GetDirectoryName(full) ?? full, "Run");
        return new RunRequest(full, settings, images);
    }
}
