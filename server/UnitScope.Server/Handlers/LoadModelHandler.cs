using System.Security.Cryptography;
using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/loadModel</c>: loads a checkpoint and makes it the active model. The same bytes with
/// the same options give back the model already loaded (it becomes active again).
/// </summary>
[Handles(Methods.LoadModel, Execution.Mutating)]
internal sealed class LoadModelHandler(DaemonServices services) : IRequestHandler<LoadModelParams, ModelInfo>
{
    public async Task<ModelInfo> HandleAsync(LoadModelParams request, CancellationToken ct)
    {
        var options = Options(request);
        var path = Path.GetFullPath(request.Path);
        var key = ModelRegistry.OptionsKey(options);

        if (File.Exists(path))
        {
            var hash = await HashAsync(path, ct).ConfigureAwait(false);
            if (services.Models.FindAndActivate(hash, key) is { } existing)
            {
                services.Log.Info($"loadModel: {path} is already loaded as {existing.Id}");
                return existing.Info;
            }
        }

        ct.ThrowIfCancellationRequested();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = services.Loader.Load(path, options);
        if (ct.IsCancellationRequested)
        {
            model.Dispose();
            ct.ThrowIfCancellationRequested();
        }
        var entry = services.Models.Add(model, key);
        services.Log.Info($"loadModel: {path} → {entry.Id} ({model.Architecture}, {model.Layers.Count} layers, {model.DeviceName}) in {watch.ElapsedMilliseconds} ms");
        return entry.Info;
    }

    internal static ModelOptions Options(LoadModelParams p)
    {
        if (string.IsNullOrWhiteSpace(p.Path))
            throw RpcErrors.InvalidParams("path is empty.");
        if (p.InputSize is { } size && (size.Count != 2 || size[0] <= 0 || size[1] <= 0))
            throw RpcErrors.InvalidParams($"inputSize must be [height, width] with positive values; got [{string.Join(", ", size)}].");
        return new ModelOptions
        {
            Architecture = string.IsNullOrWhiteSpace(p.Architecture) ? null : p.Architecture.Trim(),
            InputHeight = p.InputSize?[0],
            InputWidth = p.InputSize?[1],
            Mean = p.Mean?.ToArray(),
            Std = p.Std?.ToArray(),
            Device = string.IsNullOrWhiteSpace(p.Device) ? "auto" : p.Device.Trim(),
        };
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
