using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// Forward hooks on every leaf module of a known spatial kind (<see cref="ModuleOps"/>) that give its output the
/// op's geometric gradient (<see cref="SpatialOp.WithGeometricGradient"/>), until disposed. Registered before any
/// capture, so captured outputs carry it.
/// </summary>
public sealed class ModuleSurrogates : IDisposable
{
    readonly List<Action> _removers = [];

    public ModuleSurrogates(nn.Module model)
    {
        foreach (var module in LayerCatalog.HookableModules(model).Values)
        {
            if (module.children().Any() || ModuleOps.Of(module) is not { } op) continue;
            var remover = module.register_forward_hook((_, input, output) => op.WithGeometricGradient(input, output));
            _removers.Add(remover.remove);
        }
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
    }
}
