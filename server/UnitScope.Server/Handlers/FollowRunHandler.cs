using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Evolution;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/followRun</c>: the run's stored summaries now (cache lookups by content hash, no model runs), every
/// other checkpoint handed to the <see cref="RunFollower"/> for a background summary. Runs in the background (listing
/// and hashing a run reads files), so nothing waits for it.
/// </summary>
[Handles(Methods.FollowRun, Execution.Background)]
internal sealed class FollowRunHandler(Connection connection, DaemonServices services) : IRequestHandler<FollowRunParams, FollowRunResult>
{
    public async Task<FollowRunResult> HandleAsync(FollowRunParams request, CancellationToken ct)
    {
        var (run, settings, maxImages) = RunRequest.Check(request.Run, request.Layers, false, request.BatchSize, request.MaxImages);
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Evolution;
        engine.CheckRun(model, settings);
        var spec = DatasetSpec.Parse(request.Dataset);
        var (members, images) = await Task.Run(() =>
        {
            var files = engine.FindRun(run, ct);
            return (engine.Members(files, ct), engine.OpenImages(spec, maxImages, null, ct));
        }, ct).ConfigureAwait(false);
        var stored = new List<CheckpointSummary>();
        var pending = new List<PendingSummary>();
        for (int k = 0; k < members.Count; k++)
        {
            var previous = k > 0 ? members[k - 1] : null;
            if (engine.StoredSummary(model, k, members[k], previous, images, settings) is { } summary) stored.Add(summary);
            else pending.Add(new PendingSummary(connection, request.ModelId, run, images, settings, k, members[k], previous));
        }
        var queued = services.Follower.Enqueue(pending);
        services.Log.Info($"{connection.Name}: follow {run} ({string.Join(", ", settings.Layers)}): {stored.Count} stored, {queued.Count} queued");
        return new FollowRunResult(run, images.Name, images.Count, settings.Layers, members.Count, stored, queued);
    }
}
