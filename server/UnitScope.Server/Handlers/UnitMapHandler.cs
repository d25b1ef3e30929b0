using UnitScope.Protocol;
using UnitScope.Server.Images;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/unitMap</c>: one unit's activation over one image — the raw map at the layer's
/// resolution, its statistics, and a PNG of the map upsampled and overlaid on the image, the image being
/// the one the model saw (sized as its description says: <c>resize</c>, <c>centerCrop</c>).
/// </summary>
[Handles(Methods.UnitMap, Execution.Reading)]
internal sealed class UnitMapHandler(DaemonServices services) : IRequestHandler<UnitMapParams, UnitMapResult>
{
    public async Task<UnitMapResult> HandleAsync(UnitMapParams request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Layer)) throw RpcErrors.InvalidParams("layer is empty.");
        var model = services.Models.Get(request.ModelId).Model;
        // The map is drawn over the image the model saw (its description's resize and centre crop).
        var image = model.SizeImage(ImageInput.Read(services.Images, request.ImagePath, request.ImageBase64, model.DecodeHint));
        var map = await services.Devices.RunAsync(model.DeviceName, () => model.ComputeUnitMap(image, request.Layer, request.Unit), ct)
            .ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var png = services.Overlay.RenderOverlayPng(image, map);
        return new UnitMapResult(
            map.Layer, map.Unit, map.Width, map.Height, map.Min, map.Max, map.Mean, map.Values,
            Convert.ToBase64String(png), image.Width, image.Height, PreprocessingMapping.ToProtocol(model.ImagePreprocessing));
    }
}
