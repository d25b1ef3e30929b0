using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Handlers;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Analysis;

/// <summary>
/// The frame every occlusion and ablation request runs in, as dissection does: LSP work-done progress
/// (the client's token, or one the daemon creates), cancellation by <c>$/cancelRequest</c> or by
/// <c>window/workDoneProgress/cancel</c>, dataset work outside the device gate, model work inside it,
/// handing the device over between batches, and an <c>end</c> that says how it went (done, cancelled
/// or failed) sent before the response. The caller holds a lease on the model.
/// </summary>
internal sealed class AnalysisRun
{
    private readonly DaemonServices _services;
    private readonly IModel _model;
    private readonly WorkDoneProgress _progress;
    private readonly AnalysisProgressText _text;

    private AnalysisRun(DaemonServices services, IModel model, ProgressStream stream, WorkDoneProgress progress, AnalysisProgressText text,
        CancellationToken token)
    {
        _services = services;
        _model = model;
        Stream = stream;
        _progress = progress;
        _text = text;
        Token = token;
        Progress = new SyncProgress<AnalysisProgress>(Report);
    }

    /// <summary>Cancelled by the request's cancellation or by the client cancelling its progress.</summary>
    public CancellationToken Token { get; }

    /// <summary>Where partial results go (in order with the progress).</summary>
    public ProgressStream Stream { get; }

    /// <summary>Progress of work outside the device gate (opening a dataset).</summary>
    public IProgress<AnalysisProgress> Progress { get; }

    private void Report(AnalysisProgress p)
    {
        var line = _text.Update(p);
        _progress.Report(line.Message, line.Percentage, line.Stage);
    }

    /// <summary>Runs model work holding the device gate; the progress it is given hands the device over between batches.</summary>
    public Task<T> OnDeviceAsync<T>(Func<IProgress<AnalysisProgress>, T> work) =>
        _services.Devices.RunYieldingAsync(_model.DeviceName, yieldDevice =>
        {
            var progress = new SyncProgress<AnalysisProgress>(p =>
            {
                Report(p);
                yieldDevice();
            });
            return work(progress);
        }, Token);

    /// <summary>Opens an evaluation set off the request's thread, outside the device gate.</summary>
    public Task<IEvaluationData> OpenEvaluationSetAsync(EvaluationSetSpec spec) =>
        Task.Run(() => _services.Analysis.OpenEvaluationSet(_model, spec, Progress, Token), Token);

    /// <summary>
    /// Begins progress titled <paramref name="title"/>, runs <paramref name="body"/>, ends the progress
    /// with <paramref name="summary"/> of the result (or "Cancelled"/"Failed: …") and sends every
    /// <c>$/progress</c> before returning.
    /// </summary>
    public static async Task<T> RunAsync<T>(
        Connection connection, DaemonServices services, IModel model, JsonElement? workDoneToken, string title,
        IReadOnlyList<(string Phase, int Share)> plan, Func<AnalysisRun, Task<T>> body, Func<T, string> summary, CancellationToken ct)
    {
        var stream = new ProgressStream(connection);
        using var progress = await WorkDoneProgress.BeginAsync(connection, stream, workDoneToken, title, null, ct).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, progress.CancelledByClient);
        var run = new AnalysisRun(services, model, stream, progress, new AnalysisProgressText(plan), linked.Token);
        try
        {
            var result = await body(run).ConfigureAwait(false);
            linked.Token.ThrowIfCancellationRequested();
            progress.End(summary(result));
            await stream.DrainAsync().ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException) when (linked.Token.IsCancellationRequested)
        {
            progress.End("Cancelled");
            await stream.DrainAsync().ConfigureAwait(false);
            if (!ct.IsCancellationRequested)
                throw RpcErrors.Standard(ErrorCodes.RequestCancelled, $"{title} was cancelled (window/workDoneProgress/cancel).");
            throw;
        }
        catch (Exception e)
        {
            progress.End($"Failed: {e.Message}");
            await stream.DrainAsync().ConfigureAwait(false);
            throw;
        }
    }
}
