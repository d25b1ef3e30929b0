using UnitScope.Engine;
using UnitScope.Engine.ModelDescription;
using UnitScope.Engine.Models;
using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/writeModelDescription</c>: sets the given fields of <c>NAME.unitscope.json</c> beside a
/// model, keeping the others, through the Engine's own writer (atomic) and reader (the file is read
/// back strictly; if that fails the previous file is put back). The daemon writes it, not the
/// extension, so the one format the daemon reads has one writer. Runs in order with loads: a load
/// requested after it sees the new file.
/// </summary>
[Handles(Methods.WriteModelDescription, Execution.Mutating)]
internal sealed class WriteModelDescriptionHandler(DaemonServices services) : IRequestHandler<WriteModelDescriptionParams, WriteModelDescriptionResult>
{
    public Task<WriteModelDescriptionResult> HandleAsync(WriteModelDescriptionParams request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ModelPath))
            throw RpcErrors.InvalidParams("modelPath is empty.");
        Validate(request);
        string modelPath = Path.GetFullPath(request.ModelPath);
        string path = ModelDescriptionFile.PathFor(modelPath);
        UserFile.RequireInside(path, "Model description");
        string folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
            throw RpcErrors.Application(ErrorKind.FileNotFound, $"The folder of {modelPath} does not exist.");

        byte[]? previous = File.Exists(path) ? UserFile.ReadAllBytes(path, "Model description") : null;
        Description current;
        try
        {
            current = previous is null ? new Description() : ModelDescriptionFile.Read(path);
        }
        catch (UnitScopeException e)
        {
            throw RpcErrors.Application(ErrorKind.InvalidArgument, e.Message + " Fix or delete it before it is updated.");
        }

        var updated = current with
        {
            Architecture = request.Architecture?.Trim() ?? current.Architecture,
            InputSize = request.InputSize is { } size ? [.. size] : current.InputSize,
            Mean = request.Mean is { } mean ? [.. mean] : current.Mean,
            Std = request.Std is { } std ? [.. std] : current.Std,
            Resize = request.Resize ?? current.Resize,
            CenterCrop = request.CenterCrop is { } crop ? [.. crop] : current.CenterCrop,
        };
        if (request.ClassNamesFile is { } file)
            updated = updated with { ClassNamesFile = RelativeTo(folder, file.Trim()), ClassNames = null };
        else if (request.ClassNames is { } names)
            updated = updated with { ClassNames = [.. names], ClassNamesFile = null };
        if (updated.Mean is { } m && updated.Std is { } s && m.Length != s.Length)
            throw RpcErrors.InvalidParams($"mean has {m.Length} values and std {s.Length}: give one per input channel in both.");

        ModelDescriptionFile.Write(path, updated);
        Description written;
        try
        {
            written = ModelDescriptionFile.Read(path);
        }
        catch (UnitScopeException e)
        {
            if (previous is null) File.Delete(path);
            else File.WriteAllBytes(path, previous);
            throw RpcErrors.From(e);
        }
        services.Log.Info($"writeModelDescription: {(previous is null ? "wrote" : "updated")} {path}");
        return Task.FromResult(new WriteModelDescriptionResult(
            path, previous is null, written.Architecture, written.InputSize, written.Mean, written.Std,
            written.ClassNamesFile, written.ClassNames?.Count, written.Resize, written.CenterCrop));
    }

    static void Validate(WriteModelDescriptionParams p)
    {
        if (p.Architecture is { } arch)
        {
            string name = ModelZoo.Normalize(arch);
            if (name != "onnx" && !ModelZoo.Names.Contains(name))
                throw RpcErrors.InvalidParams($"architecture '{arch}' is neither \"onnx\" nor a zoo architecture ({string.Join(", ", ModelZoo.Names)}).");
        }
        if (p.InputSize is { } size && (size.Count != 2 || size.Any(v => v is < 1 or > 8192)))
            throw RpcErrors.InvalidParams($"inputSize must be [height, width], each 1–8192; got [{string.Join(", ", size)}].");
        const int maxSide = Engine.Datasets.ImageFolderOptions.MaxSide;
        if (p.Resize is < 1 or > maxSide)
            throw RpcErrors.InvalidParams($"resize must be the shorter side in pixels, 1–{maxSide}; got {p.Resize}.");
        if (p.CenterCrop is { } crop && (crop.Count != 2 || crop.Any(v => v is < 1 or > maxSide)))
            throw RpcErrors.InvalidParams($"centerCrop must be [height, width], each 1–{maxSide}; got [{string.Join(", ", crop)}].");
        foreach (var (name, values, positive) in new[] { ("mean", p.Mean, false), ("std", p.Std, true) })
            if (values is not null && (values.Count is < 1 or > 4 || values.Any(v => !float.IsFinite(v) || (positive && v <= 0))))
                throw RpcErrors.InvalidParams($"{name} must be 1 to 4 finite numbers{(positive ? " above 0" : "")}, one per input channel.");
        LoadModelHandler.CheckScale(p.Mean, p.Std);
        if (p.ClassNamesFile is not null && p.ClassNames is not null)
            throw RpcErrors.InvalidParams("give classNamesFile or classNames, not both.");
        if (p.ClassNamesFile is { } file && string.IsNullOrWhiteSpace(file))
            throw RpcErrors.InvalidParams("classNamesFile is empty.");
        if (p.ClassNames is { Count: 0 })
            throw RpcErrors.InvalidParams("classNames is empty.");
    }

    /// <summary>A path inside the description's folder is written relative to it (the folder can move); others stay absolute.</summary>
    static string RelativeTo(string folder, string file)
    {
        if (!Path.IsPathRooted(file)) return file;
        string relative = Path.GetRelativePath(folder, file);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? file : relative.Replace('\\', '/');
    }
}
