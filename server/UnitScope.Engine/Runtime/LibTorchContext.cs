using System.Runtime.InteropServices;

namespace UnitScope.Engine.Runtime;

/// <summary>
/// The switches of libtorch's global context (<c>at::globalContext()</c>) that TorchSharp does not
/// expose: which CPU convolution backends libtorch may pick. The only P/Invoke into libtorch itself;
/// the entry points are the C++ symbols <c>libtorch_cpu.so</c> exports (checked with <c>nm -D</c> on
/// libtorch 2.10: <c>at::globalContext()</c>, <c>at::Context::setUserEnabledMkldnn(bool)</c>,
/// <c>userEnabledMkldnn() const</c>, <c>setUserEnabledNNPACK(bool)</c>). Where a build of libtorch
/// lacks one (another version, another platform), <see cref="Available"/> is false and the setters do
/// nothing: libtorch keeps its defaults.
/// </summary>
internal static class LibTorchContext
{
    const string Library = "libtorch_cpu";

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.I1)]
    static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNNPACK(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    static readonly Lazy<IntPtr> Context = new(Resolve);

    /// <summary>Whether the global context and its switches were found (libtorch must be loaded first).</summary>
    public static bool Available => Context.Value != IntPtr.Zero;

    /// <summary>Whether libtorch may run CPU convolutions with oneDNN (mkldnn); true when the switch is unavailable.</summary>
    public static bool OneDnnEnabled
    {
        get => !Available || UserEnabledMkldnn(Context.Value);
        set
        {
            if (Available) SetUserEnabledMkldnn(Context.Value, value);
        }
    }

    /// <summary>Keeps libtorch from NNPACK (see <see cref="TorchRuntime"/> for why).</summary>
    public static void DisableNnpack()
    {
        if (Available) SetUserEnabledNNPACK(Context.Value, false);
    }

    static IntPtr Resolve()
    {
        try
        {
            var context = GlobalContext();
            // Touch every entry point now, so a libtorch without one is found out here, once.
            SetUserEnabledMkldnn(context, UserEnabledMkldnn(context));
            Marshal.Prelink(typeof(LibTorchContext).GetMethod(nameof(SetUserEnabledNNPACK),
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!);
            return context;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return IntPtr.Zero;
        }
    }
}
