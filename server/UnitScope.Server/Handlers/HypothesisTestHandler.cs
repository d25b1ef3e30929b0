using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Images;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/hypothesisTest</c>: a layer's mean activation per unit on a real image (sized as the model's description
/// says), the unit's rank and the bar chart: one forward pass, queued on the model's device.
/// </summary>
[Handles(Methods.HypothesisTest, Execution.Reading)]
internal sealed class HypothesisTestHandler(DaemonServices services) : IRequestHandler<HypothesisTestParams, HypothesisTestResult>
{
    public async Task<HypothesisTestResult> HandleAsync(HypothesisTestParams request, CancellationToken ct)
    {
        var model = services.Models.Get(request.ModelId).Model;
        var layer = AnalysisChecks.Layer(model, request.Layer, spatial: false, "the hypothesis test");
        AnalysisChecks.Unit(request.Unit, layer);
        var image = model.SizeImage(ImageInput.Read(services.Images, request.ImagePath, request.ImageBase64));
        var name = string.IsNullOrWhiteSpace(request.ImagePath) ? "the image" : Path.GetFileName(request.ImagePath.Trim());
        return await services.Devices.RunAsync(model.DeviceName,
            () => services.Visualization.HypothesisTest(model, image, name, layer.Name, request.Unit), ct).ConfigureAwait(false);
    }
}
