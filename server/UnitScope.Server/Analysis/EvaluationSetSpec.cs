using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Analysis;

/// <summary>Which evaluation set: the built-in probe set (its scene labels), or an ImageFolder (full path).</summary>
internal sealed record EvaluationSetSpec(string? Folder)
{
    public const string ProbeName = "probe";

    public static EvaluationSetSpec Probe { get; } = new((string?)null);

    public bool IsProbe => Folder is null;

    /// <summary>"probe" or the folder: what results name as their evaluation set.</summary>
    public string Name => Folder ?? ProbeName;

    /// <summary>"probe", empty or absent: the probe set; anything else: a folder that must exist.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">FileNotFound.</exception>
    public static EvaluationSetSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals(ProbeName, StringComparison.OrdinalIgnoreCase)) return Probe;
        var folder = Path.GetFullPath(text.Trim());
        UserFile.RequireInside(folder, "Evaluation set folder");
        if (!Directory.Exists(folder))
            throw RpcErrors.Application(ErrorKind.FileNotFound,
                File.Exists(folder)
                    ? $"Evaluation set '{folder}' is a file; give an ImageFolder (one sub-folder of images per class) or \"probe\"."
                    : $"Evaluation set folder not found: '{folder}'. Give an ImageFolder (one sub-folder of images per class) or \"probe\".");
        return new EvaluationSetSpec(folder);
    }
}
