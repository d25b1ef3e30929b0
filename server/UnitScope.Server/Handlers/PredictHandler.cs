using UnitScope.Protocol;
using UnitScope.Server.Images;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/predict</c>: one forward pass (queued on the model's device) on the image sized as the model's
/// description says (<c>resize</c>, <c>centerCrop</c>), as its evaluation images are.
/// </summary>
[Handles(Methods.Predict, Execution.Reading)]
internal sealed class PredictHandler(DaemonServices services) : IRequestHandler<PredictParams, PredictResult>
{
    public async Task<PredictResult> HandleAsync(PredictParams request, CancellationToken ct)
    {
        var top = request.Top ?? 5;
        if (top <= 0) throw RpcErrors.InvalidParams($"top must be positive; got {top}.");
        var model = services.Models.Get(request.ModelId).Model;
        var image = model.SizeImage(ImageInput.Read(services.Images, request.ImagePath, request.ImageBase64, model.DecodeHint));
        var prediction = await services.Devices.RunAsync(model.DeviceName, () => model.Predict(image, top), ct).ConfigureAwait(false);
        return new PredictResult(
            prediction.Logits,
            prediction.Probabilities,
            prediction.Top.Select(s => new ClassScore(s.Index, s.Label, s.Probability)).ToList(),
            PreprocessingMapping.ToProtocol(model.ImagePreprocessing),
            prediction.Score);
    }
}
