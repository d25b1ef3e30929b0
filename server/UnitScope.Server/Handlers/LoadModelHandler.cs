using System.Security.Cryptography;
using UnitScope.Engine;
using UnitScope.Engine.TorchSharpModels;
using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/loadModel</c>: loads a checkpoint and makes it the active model. The same bytes with
/// the same options give back the model already loaded (it becomes active again). It runs in the
/// background: reading a large checkpoint must not hold up hovers or requests on other models, and
/// the only state it changes, the registry, it changes atomically at the end (an equal model that raced
/// in first wins). A load still starts after every earlier mutation (a description written before it is seen).
/// </summary>
[Handles(Methods.LoadModel, Execution.Background)]
internal sealed class LoadModelHandler(Connection connection, DaemonServices services) : IRequestHandler<LoadModelParams, ModelInfo>
{
    public async Task<ModelInfo> HandleAsync(LoadModelParams request, CancellationToken ct)
    {
        var options = Options(request);
        // A C# model's code runs in the daemon: a remote client's only when the server was started to allow it.
        if (options.Definition is { } code && connection.Remote is { AllowCode: false })
            throw RpcErrors.Application(ErrorKind.Forbidden,
                $"This server runs no model code sent by remote clients ({Path.GetFileName(code.CodePath)}): start it with " +
                "unitscope serve --tcp PORT --allow-code to let clients with the token load a C# model's source or assembly.");
        var path = Path.GetFullPath(request.Path);
        // A remote client's paths must lie in the server's roots (the Engine checks what it reads beside them too).
        UserFile.RequireInside(path, "Checkpoint");
        if (options.Definition is { } definition) UserFile.RequireInside(definition.CodePath, "Model code");
        var key = ModelRegistry.OptionsKey(options) + SourcesKey(path, options);

        // Only a regular file is hashed here: a FIFO would block, /dev/zero never end (the loader refuses them).
        if (UserFile.IsRegular(path))
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
        var model = services.Loader.Load(path, options, ct);
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
        CheckScale(p.Mean, p.Std);
        CSharpModelDefinition? definition = null;
        if (!string.IsNullOrWhiteSpace(p.AssemblyPath) || !string.IsNullOrWhiteSpace(p.SourcePath))
        {
            if (!string.IsNullOrWhiteSpace(p.AssemblyPath) && !string.IsNullOrWhiteSpace(p.SourcePath))
                throw RpcErrors.InvalidParams("give assemblyPath or sourcePath, not both.");
            definition = CSharpModelDefinition.Create(p.AssemblyPath, p.SourcePath, p.TypeName);
        }
        else if (!string.IsNullOrWhiteSpace(p.TypeName))
            throw RpcErrors.InvalidParams("typeName needs the assembly (assemblyPath) or the source file (sourcePath) that defines it.");
        return new ModelOptions
        {
            Architecture = string.IsNullOrWhiteSpace(p.Architecture) ? null : p.Architecture.Trim(),
            InputHeight = p.InputSize?[0],
            InputWidth = p.InputSize?[1],
            Mean = p.Mean?.ToArray(),
            Std = p.Std?.ToArray(),
            Device = string.IsNullOrWhiteSpace(p.Device) ? "auto" : p.Device.Trim(),
            Definition = definition,
        };
    }

    /// <summary>A mean or std given on the 0–255 scale is refused, saying what to give (loadModel and writeModelDescription).</summary>
    internal static void CheckScale(IReadOnlyList<float>? mean, IReadOnlyList<float>? std)
    {
        foreach (var (name, values, isStd) in (ReadOnlySpan<(string, IReadOnlyList<float>?, bool)>)[("mean", mean, false), ("std", std, true)])
            if (values is not null && Engine.Imaging.NormalisationScale.Problem(values, isStd) is { } problem)
                throw RpcErrors.InvalidParams(
                    $"{name} [{string.Join(", ", values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}] {problem}.");
    }

    /// <summary>
    /// What else decides which model a load gives: the C# definition's code (another class or a rebuilt
    /// assembly is another model) and the description file beside the checkpoint (a changed
    /// NAME.unitscope.json, e.g. the "onnx" an import writes or new class names, loads anew).
    /// </summary>
    internal static string SourcesKey(string path, ModelOptions options)
    {
        string description = "";
        try
        {
            string file = Engine.ModelDescription.ModelDescriptionFile.PathFor(path);
            if (UserFile.IsRegular(file)) description = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))[..16];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            description = "unreadable"; // the load reports it
        }
        return $"|{options.Definition?.Identity()}|{description}";
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
