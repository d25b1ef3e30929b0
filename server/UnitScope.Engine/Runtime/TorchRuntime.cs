using TorchSharp;

namespace UnitScope.Engine.Runtime;

/// <summary>
/// The one place that touches libtorch first: turns a native load failure into an error that says
/// what to do, sets libtorch's backend switches, and picks the device.
/// </summary>
/// <remarks>
/// NNPACK is switched off as libtorch loads: on CPUs it does not support (these AMD EPYCs) libtorch
/// tries to initialise it for every convolution that oneDNN does not take and prints "Could not
/// initialize NNPACK! Reason: Unsupported hardware" each time (38 lines for one <c>layers</c>), and
/// where oneDNN runs, libtorch prefers oneDNN to NNPACK anyway; without it libtorch uses its own
/// convolutions. Nothing that libtorch writes to stderr is filtered.
/// </remarks>
public static class TorchRuntime
{
    static readonly Lazy<Exception?> LoadFailure = new(TryLoad);

    /// <summary>Throws a <see cref="UnitScopeException"/> if libtorch cannot be loaded.</summary>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw new UnitScopeException(EngineErrorKind.NativeRuntime,
                "libtorch could not be loaded: " + Innermost(failure).Message +
                ". Build with `dotnet build` (it patches libLibTorchSharp.so for older libstdc++, see build/TorchSharpNativeFix.targets).",
                failure);
    }

    /// <summary>"auto" → cuda when available, else cpu; "cpu"; "cuda" or "cuda:N".</summary>
    public static torch.Device ResolveDevice(string? requested)
    {
        EnsureLoaded();
        string name = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (name == "auto")
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (name == "cpu")
            return torch.CPU;
        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Device '{requested}' was asked for, but this build or machine has no CUDA (build with -p:TorchBackend=cuda on a GPU machine, or use --device cpu).");
            return torch.device(name);
        }
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"Unknown device '{requested}': use auto, cpu, cuda or cuda:N.");
    }

    static Exception? TryLoad()
    {
        try
        {
            using var probe = torch.zeros(1);
            LibTorchContext.DisableNnpack();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
