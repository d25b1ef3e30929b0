using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/unitCard</c>: one dissected unit's top images with its "on" region, as a PNG. Runs
/// the model on those images (queued on its device, between a dissection's batches).
/// </summary>
[Handles(Methods.UnitCard, Execution.Reading)]
internal sealed class UnitCardHandler(DaemonServices services) : IRequestHandler<UnitCardParams, UnitCardResult>
{
    public async Task<UnitCardResult> HandleAsync(UnitCardParams request, CancellationToken ct)
    {
        var options = DissectionMapping.Options(request.Options);
        var spec = DatasetSpec.Parse(request.Dataset);
        if (string.IsNullOrWhiteSpace(request.Layer)) throw RpcErrors.InvalidParams("layer is empty.");
        var layer = request.Layer.Trim();
        var model = services.Models.Get(request.ModelId).Model;
        var engine = services.Dissection;
        var dataset = engine.TryOpenDataset(spec);
        var dissection = dataset is null
            ? null
            : DissectionCache.Find(engine, model.CheckpointHash, layer, dataset.ContentHash, DissectionMapping.ForDataset(options, dataset.Count));
        if (dataset is null || dissection is null)
            throw RpcErrors.Application(ErrorKind.InvalidArgument,
                $"Layer '{layer}' has no dissection on {spec.Name} with these options; run unitscope/dissect first.");
        if (dissection.Units.All(u => u.Unit != request.Unit))
            throw RpcErrors.Application(ErrorKind.UnitOutOfRange,
                $"Unit {request.Unit} is out of range for {layer} ({dissection.Units.Count} units).");
        var png = await services.Devices.RunAsync(model.DeviceName, () => engine.RenderUnitCard(model, dataset, dissection, request.Unit, ct), ct)
            .ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var (width, height) = PngSize(png);
        return new UnitCardResult(layer, request.Unit, Convert.ToBase64String(png), width, height);
    }

    /// <summary>Width and height from a PNG's IHDR chunk (0, 0 when it is not a PNG).</summary>
    internal static (int Width, int Height) PngSize(byte[] png)
    {
        if (png.Length < 24 || png[0] != 0x89 || png[1] != (byte)'P' || png[12] != (byte)'I' || png[13] != (byte)'H') return (0, 0);
        static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        return (BigEndian(png, 16), BigEndian(png, 20));
    }
}
