using System.Text.Json;
using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Analysis;

/// <summary>What a long-running request asks of its frame: the progress title, the client's tokens.</summary>
/// <param name="BeginMessage">The begin notification's message (e.g. "opening the dataset"); none when null.</param>
internal sealed record AnalysisRequest(string Title, JsonElement? WorkDoneToken, JsonElement? PartialResultToken = null, string? BeginMessage = null);

/// <summary>
/// The frame every long-running analysis (dissection, occlusion, ablation, ranking, single-unit
/// statistics) runs in: LSP work-done progress (the client's token, or one the daemon creates) with
/// lines from the analysis's <see cref="IProgressLines{T}"/>, partial results on the client's
/// partialResultToken, cancellation by <c>$/cancelRequest</c> or <c>window/workDoneProgress/cancel</c>,
/// dataset work outside the device gate, model work inside it (handing the device over between
/// batches), and an <c>end</c> that says how it went (done, cancelled or failed), sent with every
/// partial result before the response. Result caches stay with the engines (one key format per
/// result kind); the caller holds a lease on the model.
/// </summary>
internal static class AnalysisRun
{
    /// <summary>
    /// Begins progress, runs <paramref name="body"/>, ends the progress with <paramref name="summary"/> of
    /// the result (or <paramref name="cancelled"/>'s text, default "Cancelled", or "Failed: …") and sends every
    /// <c>$/progress</c> before returning.
    /// </summary>
    public static async Task<T> RunAsync<T, TProgress>(
        Connection connection, DaemonServices services, IModel model, AnalysisRequest request, IProgressLines<TProgress> lines,
        Func<AnalysisRun<TProgress>, Task<T>> body, Func<T, string> summary, CancellationToken ct, Func<string>? cancelled = null)
    {
        var stream = new ProgressStream(connection);
        using var progress = await WorkDoneProgress.BeginAsync(connection, stream, request.WorkDoneToken, request.Title, request.BeginMessage, ct)
            .ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, progress.CancelledByClient);
        var run = new AnalysisRun<TProgress>(services, model, stream, progress, lines, PartialToken(request.PartialResultToken), linked.Token);
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
            progress.End(cancelled?.Invoke() ?? "Cancelled");
            await stream.DrainAsync().ConfigureAwait(false);
            if (!ct.IsCancellationRequested)
                throw RpcErrors.Standard(ErrorCodes.RequestCancelled, $"{request.Title} was cancelled (window/workDoneProgress/cancel).");
            throw;
        }
        catch (Exception e)
        {
            progress.End($"Failed: {e.Message}");
            await stream.DrainAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>LSP's ProgressToken is a string or a number; anything else is no token.</summary>
    private static JsonElement? PartialToken(JsonElement? token) =>
        token is { ValueKind: JsonValueKind.String or JsonValueKind.Number } t ? t : null;
}

/// <summary>One running analysis inside <see cref="AnalysisRun.RunAsync"/>.</summary>
internal sealed class AnalysisRun<TProgress>
{
    private readonly DaemonServices _services;
    private readonly ProgressStream _stream;
    private readonly WorkDoneProgress _progress;
    private readonly IProgressLines<TProgress> _lines;
    private readonly JsonElement? _partialToken;

    internal AnalysisRun(DaemonServices services, IModel model, ProgressStream stream, WorkDoneProgress progress, IProgressLines<TProgress> lines,
        JsonElement? partialToken, CancellationToken token)
    {
        _services = services;
        Model = model;
        _stream = stream;
        _progress = progress;
        _lines = lines;
        _partialToken = partialToken;
        Token = token;
        Progress = new SyncProgress<TProgress>(Report);
    }

    /// <summary>The model the run holds a lease on.</summary>
    public IModel Model { get; }

    /// <summary>Cancelled by the request's cancellation or by the client cancelling its progress.</summary>
    public CancellationToken Token { get; }

    /// <summary>Progress of work outside the device gate (opening a dataset).</summary>
    public IProgress<TProgress> Progress { get; }

    /// <summary>Whether the client asked for partial results (then the response leaves out what they carried).</summary>
    public bool SendsPartialResults => _partialToken is not null;

    /// <summary>Sends <paramref name="partial"/> on the client's partialResultToken, in order with the progress; nothing without a token.</summary>
    public void PostPartial(object partial)
    {
        if (_partialToken is { } token) _stream.Post(token, partial);
    }

    private void Report(TProgress p)
    {
        var line = _lines.Update(p);
        _progress.Report(line.Message, line.Percentage, line.Stage);
    }

    /// <summary>Runs work that needs no device (opening a dataset) off the request's thread, with <see cref="Progress"/>.</summary>
    public Task<T> OffDeviceAsync<T>(Func<IProgress<TProgress>, CancellationToken, T> work) => Task.Run(() => work(Progress, Token), Token);

    /// <summary>Runs model work holding the device gate; the progress it is given hands the device over between batches.</summary>
    public Task<T> OnDeviceAsync<T>(Func<IProgress<TProgress>, T> work) =>
        _services.Devices.RunYieldingAsync(Model.DeviceName, yieldDevice =>
        {
            var progress = new SyncProgress<TProgress>(p =>
            {
                Report(p);
                yieldDevice();
            });
            return work(progress);
        }, Token);
}

/// <summary>The evaluation-set step the ablation family shares.</summary>
internal static class AnalysisRunSets
{
    /// <summary>Opens an evaluation set off the request's thread, outside the device gate.</summary>
    public static Task<IEvaluationData> OpenEvaluationSetAsync(this AnalysisRun<AnalysisProgress> run, DaemonServices services, EvaluationSetSpec spec) =>
        run.OffDeviceAsync((progress, ct) => services.Analysis.OpenEvaluationSet(run.Model, spec, progress, ct));
}
