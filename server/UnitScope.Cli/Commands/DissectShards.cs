using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Dissection.Sharding;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>dissect</c> split by images across machines: <c>--shard i/N --partial DIR</c> runs one shard's forward passes and
/// writes its partial state into DIR; <c>--merge DIR</c> dissects from all N shards' state, the same result (and report)
/// as one run. The shards are independent processes, so any scheduler can run them (a Slurm array, a Kubernetes Indexed Job).
/// </summary>
sealed class DissectShards
{
    public Option<string?> Shard { get; } = new("--shard")
    {
        Description = "Run only shard i of N (i from 0, e.g. $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX): its forward passes, written to --partial; no report.",
        HelpName = "i/N",
    };
    public Option<string?> Partial { get; } = new("--partial") { Description = "With --shard: the folder (shared by all shards) for the shard's partial state.", HelpName = "DIR" };
    public Option<string?> Merge { get; } = new("--merge") { Description = "Dissect from the N shards' partial state in DIR instead of running the model over the images.", HelpName = "DIR" };

    public void AddTo(Command command)
    {
        command.Options.Add(Shard);
        command.Options.Add(Partial);
        command.Options.Add(Merge);
    }

    /// <summary>What the command line asks for: one shard, a merge, or neither (null folders); checks the combinations.</summary>
    public (ShardSpec? Shard, string? Partial, ShardSet? Merge) Read(ParseResult parse, bool hasOut)
    {
        string? shardText = parse.GetValue(Shard), partial = parse.GetValue(Partial), merge = parse.GetValue(Merge);
        if (shardText is not null && merge is not null)
            throw new CliUsageException("--shard and --merge do not go together: run each shard with --shard i/N --partial DIR, then one --merge DIR.");
        if (shardText is null)
        {
            if (partial is not null)
                throw new CliUsageException("--partial goes with --shard i/N (the merge reads the folder given to --merge).");
            if (!hasOut)
                throw new CliUsageException("--out is required (except with --shard, which writes no report).");
            return (null, null, merge is null ? null : ShardSet.Open(merge));
        }
        if (partial is null)
            throw new CliUsageException("--shard needs --partial DIR: the folder where this shard writes its part and the merge reads all of them.");
        return (ShardSpec.Parse(shardText), Path.GetFullPath(partial), null);
    }

    /// <summary>What dissects the missing layers in a merge: the shards' activations replayed, never the model.</summary>
    public static DissectionRunner MergeRunner(ShardSet shards) => (session, dataset, layers, options, progress, ct) =>
        DissectionMerge.Run(shards, session.CheckpointHash, dataset, layers, options, progress, ct);

    /// <summary>Runs one shard: its forward passes, its part written into <paramref name="folder"/>.</summary>
    public static Task<ShardManifest> RunShard(ModelSession session, ISegmentationDataset dataset, IReadOnlyList<string> layers,
        DissectionOptions options, ShardSpec shard, string folder, DissectionConsole.ProgressBars bars, CancellationToken ct) =>
        DissectionConsole.Run(() => DissectionShard.Run(new ModelActivationSource(session), dataset, layers, options, shard, folder,
            bars.ForDissection([]), ct), ct);

    /// <summary>Where a shard's part went, its size per image (or, with --json, its manifest).</summary>
    public static int PrintShard(CliContext cli, ShardManifest manifest, string folder, TimeSpan elapsed, bool json)
    {
        var shard = new ShardSpec(manifest.Shard, manifest.Shards);
        string file = Path.Combine(folder, shard.Stem + ".json");
        AnalysisConsole.WarnSkipped(cli, manifest.Skipped, file);
        if (json)
        {
            cli.WriteJson(new { partial = folder, manifest = file, bytes = manifest.Bytes, shard = manifest });
            return ExitCodes.Ok;
        }
        int images = manifest.Used.Count;
        string perImage = images == 0 ? "" : $", {Size(manifest.Bytes / images)} per image";
        cli.Out.MarkupLine(Markup.Escape(
            $"Shard {shard}: images {manifest.First}–{manifest.End - 1} ({images} run{(manifest.Skipped.Count > 0 ? $", {manifest.Skipped.Count} unreadable" : "")}), " +
            $"{Size(manifest.Bytes)} of activations{perImage} in {folder} ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)."));
        cli.Out.MarkupLine(Markup.Escape($"When all {shard.Count} shards are done: unitscope dissect … --merge {folder} --out DIR"));
        return ExitCodes.Ok;
    }

    static string Size(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        < 1 << 30 => (bytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1073741824.0).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };
}
