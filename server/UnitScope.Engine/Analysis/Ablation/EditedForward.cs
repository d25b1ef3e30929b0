using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using UnitScope.Engine.Layers;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Ablation;

/// <summary>
/// A forward pass of a <see cref="ModelSession"/> with one layer's output replaced by a function of it (a
/// forward hook that returns a tensor replaces the module's output). The hook exists only while this
/// session's forward lock is held, for exactly one <see cref="ModelSession.ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T})"/>
/// call: no other forward pass of the model (another ablation, a prediction, a dissection on another
/// thread) can run while it is registered, so concurrent runs each see only their own edit, and the model is
/// left as it was (no weight is touched; the hook is removed in every case).
/// </summary>
/// <remarks>
/// ModelSession keeps its module and lock private and offers no hook point inside its lock, so they are
/// reached here by reflection (the lock is a Monitor, re-entered by ForwardBatch on the same thread). This is
/// the one place that does it; a ModelSession method taking output edits would replace this file. The
/// reflection is checked on first use with a clear error if ModelSession's fields change.
/// </remarks>
internal static class EditedForward
{
    const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
    static readonly FieldInfo? ModelField = typeof(ModelSession).GetField("_model", Private);
    static readonly FieldInfo? LockField = typeof(ModelSession).GetField("_forwardLock", Private);
    static readonly ConditionalWeakTable<ModelSession, IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>>> Modules = new();

    /// <summary>The session's model (for tests that compare its state before and after).</summary>
    internal static nn.Module<Tensor, Tensor> ModelOf(ModelSession session) =>
        ModelField?.GetValue(session) as nn.Module<Tensor, Tensor>
        ?? throw new InvalidOperationException("ModelSession no longer keeps its module in '_model': update EditedForward.");

    static object LockOf(ModelSession session) =>
        LockField?.GetValue(session)
        ?? throw new InvalidOperationException("ModelSession no longer keeps its forward lock in '_forwardLock': update EditedForward.");

    /// <summary>
    /// Runs <paramref name="batch"/> with <paramref name="layer"/>'s output replaced by <paramref name="edit"/>(output)
    /// at every call of that module, and hands <paramref name="consume"/> the pass (model output and the
    /// outputs of <paramref name="capture"/>, which see the edit if they come after the layer).
    /// </summary>
    public static T Run<T>(ModelSession session, Tensor batch, string layer, Func<Tensor, Tensor> edit,
        IReadOnlyCollection<string> capture, Func<ForwardPass, T> consume)
    {
        session.GetLayer(layer);
        var modules = Modules.GetValue(session, s => LayerCatalog.HookableModules(ModelOf(s)));
        var module = modules[layer];
        lock (LockOf(session))
        {
            var remover = module.register_forward_hook((_, _, output) => edit(output));
            try
            {
                return session.ForwardBatch(batch, capture, consume);
            }
            finally
            {
                remover.remove();
            }
        }
    }
}
