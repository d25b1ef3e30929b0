using System.Reflection;
using System.Runtime.Loader;

namespace UnitScope.Engine.TorchSharpModels;

/// <summary>
/// A collectible load context for one user model's code. TorchSharp and everything else the daemon
/// has already loaded (the framework included) resolve in the default context, so the user's
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> is the daemon's type and runs on the daemon's libtorch; the
/// user's own dependencies resolve beside their assembly (its .deps.json first). The assembly is read
/// from memory, so the user can rebuild it while the model is loaded; disposing unloads it.
/// </summary>
internal sealed class ModelLoadContext : AssemblyLoadContext, IDisposable
{
    readonly AssemblyDependencyResolver? _resolver;
    readonly string? _folder;

    public ModelLoadContext(string name, string? assemblyPath)
        : base($"UnitScope model {name}", isCollectible: true)
    {
        if (assemblyPath is null) return;
        _folder = Path.GetDirectoryName(assemblyPath);
        try
        {
            _resolver = new AssemblyDependencyResolver(assemblyPath);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            _resolver = null; // no .deps.json: the folder is searched instead
        }
    }

    /// <summary>Loads the user's assembly (and its symbols when there are any) from a copy in memory.</summary>
    public Assembly LoadMain(byte[] image, byte[]? symbols)
    {
        using var assembly = new MemoryStream(image, writable: false);
        using var pdb = symbols is null ? null : new MemoryStream(symbols, writable: false);
        return LoadFromStream(assembly, pdb);
    }

    protected override Assembly? Load(AssemblyName name)
    {
        if (IsShared(name)) return null; // the default context's: one TorchSharp, one framework
        string? path = _resolver?.ResolveAssemblyToPath(name);
        if (path is null && _folder is not null && name.Name is { } simple)
        {
            string candidate = Path.Combine(_folder, simple + ".dll");
            if (UserFile.IsRegular(candidate)) path = candidate;
        }
        return path is null ? null : LoadFromStream(new MemoryStream(File.ReadAllBytes(path)));
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver?.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>Assemblies the daemon has (loaded, or in its trusted platform list) are shared, never loaded twice.</summary>
    static bool IsShared(AssemblyName name)
    {
        if (name.Name is null) return false;
        if (Default.Assemblies.Any(a => string.Equals(a.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase)))
            return true;
        return TrustedPlatformNames.Value.Contains(name.Name);
    }

    static readonly Lazy<HashSet<string>> TrustedPlatformNames = new(() =>
        new HashSet<string>(
            ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(Path.GetFileNameWithoutExtension)
                .OfType<string>(),
            StringComparer.OrdinalIgnoreCase));

    public void Dispose() => Unload();
}
