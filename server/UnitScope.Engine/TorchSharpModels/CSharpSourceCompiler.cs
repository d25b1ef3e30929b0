using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace UnitScope.Engine.TorchSharpModels;

/// <summary>
/// Compiles a single C# file that defines a TorchSharp model (Roslyn, in memory) against what the
/// daemon runs on: the framework's assemblies and the daemon's TorchSharp, with the global usings a
/// .NET SDK project has by default. The file must need nothing else. Compile errors are an
/// InvalidArgument that lists them as file(line,column): message.
/// </summary>
internal static class CSharpSourceCompiler
{
    const int ListedErrors = 10;

    const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
    {
        var paths = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .ToHashSet(StringComparer.Ordinal);
        paths.Add(typeof(TorchSharp.torch).Assembly.Location);
        var references = new List<MetadataReference>();
        foreach (string path in paths)
        {
            try
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
            catch (Exception e) when (e is IOException or BadImageFormatException)
            {
                // a native library in the list: not a reference
            }
        }
        return references;
    });

    /// <returns>The assembly and its portable PDB (so stack traces name the user's lines).</returns>
    public static (byte[] Assembly, byte[] Symbols) Compile(string sourcePath)
    {
        string text = UserFile.Read(sourcePath, p => File.ReadAllText(p, Encoding.UTF8),
            $"The model's source file was not found: {sourcePath}", reason => $"Cannot read the model's source file {sourcePath}: {reason}");

        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var source = CSharpSyntaxTree.ParseText(SourceText.From(text, Encoding.UTF8), parse, path: sourcePath);
        var usings = CSharpSyntaxTree.ParseText(SourceText.From(ImplicitUsings, Encoding.UTF8), parse, path: "UnitScope.ImplicitUsings.cs");
        string name = "UnitScopeModel_" + Path.GetFileNameWithoutExtension(sourcePath).Replace(' ', '_') + "_" + Guid.NewGuid().ToString("N")[..8];
        var compilation = CSharpCompilation.Create(name, [source, usings], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: true));

        using var assembly = new MemoryStream();
        using var symbols = new MemoryStream();
        var result = compilation.Emit(assembly, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var listed = errors.Take(ListedErrors).Select(d =>
            {
                var span = d.Location.GetLineSpan();
                return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Id}: {d.GetMessage()}";
            });
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{sourcePath} does not compile ({errors.Count} error{(errors.Count == 1 ? "" : "s")}; it is compiled alone, against the " +
                $"framework and TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}):\n{string.Join("\n", listed)}" +
                (errors.Count > ListedErrors ? $"\n… and {errors.Count - ListedErrors} more." : ""));
        }
        return (assembly.ToArray(), symbols.ToArray());
    }
}
