using System.Security.Cryptography;

namespace UnitScope.Engine.TorchSharpModels;

/// <summary>
/// Where a TorchSharp model's C# definition is: a compiled assembly (<see cref="AssemblyPath"/>,
/// a .dll) or a single C# source file (<see cref="SourcePath"/>, compiled by the daemon), and the
/// class or factory in it (<see cref="TypeName"/>): <c>Namespace.Net</c> (public constructor whose
/// parameters all have defaults, or a public static parameterless method returning the model) or
/// <c>Namespace.Models.Create</c> (that static method). Null type name: the one public
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> class the code defines.
/// </summary>
public sealed record CSharpModelDefinition
{
    public string? AssemblyPath { get; init; }
    public string? SourcePath { get; init; }
    public string? TypeName { get; init; }

    /// <summary>Exactly one of the two paths, made absolute; the type name trimmed (empty → null).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument: none or both paths.</exception>
    public static CSharpModelDefinition Create(string? assemblyPath, string? sourcePath, string? typeName)
    {
        bool hasAssembly = !string.IsNullOrWhiteSpace(assemblyPath), hasSource = !string.IsNullOrWhiteSpace(sourcePath);
        if (hasAssembly == hasSource)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, hasAssembly
                ? "Give the model's C# definition as an assembly (.dll) or as a source file (.cs), not both."
                : "A C# model definition needs an assembly (.dll) or a source file (.cs).");
        return new CSharpModelDefinition
        {
            AssemblyPath = hasAssembly ? Path.GetFullPath(assemblyPath!.Trim()) : null,
            SourcePath = hasSource ? Path.GetFullPath(sourcePath!.Trim()) : null,
            TypeName = string.IsNullOrWhiteSpace(typeName) ? null : typeName.Trim(),
        };
    }

    /// <summary>The .dll or .cs file.</summary>
    public string CodePath => AssemblyPath ?? SourcePath ?? "";

    /// <summary>
    /// What makes two loads of the same weights different models: the code file's bytes (a rebuilt
    /// assembly is a new model) and the type. Empty text when the file cannot be read (the load reports it).
    /// </summary>
    public string Identity()
    {
        string hash;
        try
        {
            if (!UserFile.IsRegular(CodePath)) return $"{(AssemblyPath is not null ? "dll" : "cs")}::{TypeName}"; // the load refuses it
            using var file = File.OpenRead(CodePath);
            hash = Convert.ToHexStringLower(SHA256.HashData(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            hash = "";
        }
        return $"{(AssemblyPath is not null ? "dll" : "cs")}:{hash}:{TypeName}";
    }
}
