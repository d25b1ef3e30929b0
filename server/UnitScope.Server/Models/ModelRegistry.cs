using System.Globalization;
using UnitScope.Engine;
using UnitScope.Server.Rpc;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Models;

/// <summary>A model the daemon holds, with its id and the options it was loaded with.</summary>
internal sealed record LoadedModel(string Id, IModel Model, string OptionsKey, P.ModelInfo Info);

/// <summary>A loaded model kept alive for long work; dispose once (further disposals do nothing).</summary>
internal sealed class ModelLease(ModelRegistry registry, LoadedModel model) : IDisposable
{
    private Action<LoadedModel>? _return = registry.ReturnLease;

    public LoadedModel Loaded { get; } = model;
    public IModel Model => Loaded.Model;

    public void Dispose() => Interlocked.Exchange(ref _return, null)?.Invoke(Loaded);
}

/// <summary>
/// The loaded models, shared by every connection. A model is identified by its checkpoint's hash
/// plus the options it was loaded with; the last one loaded (or re-requested) is the active one,
/// which hover uses. Thread-safe; disposal of a model happens only in <see cref="Remove"/>, which
/// the scheduler runs when no read is using it, and, for background work that holds a
/// <see cref="Lease"/>, only once the last lease is returned.
/// </summary>
internal sealed class ModelRegistry : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<LoadedModel> _models = [];
    private readonly Dictionary<LoadedModel, int> _leases = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<LoadedModel> _disposeWhenReturned = new(ReferenceEqualityComparer.Instance);
    private string? _activeId;

    public IReadOnlyList<LoadedModel> All
    {
        get { lock (_lock) return [.. _models]; }
    }

    public LoadedModel? Active
    {
        get { lock (_lock) return _models.FirstOrDefault(m => m.Id == _activeId); }
    }

    /// <exception cref="StreamJsonRpc.LocalRpcException">UnknownModel.</exception>
    public LoadedModel Get(string modelId)
    {
        lock (_lock)
        {
            return _models.FirstOrDefault(m => m.Id == modelId)
                   ?? throw RpcErrors.UnknownModel(modelId, _models.Select(m => m.Id));
        }
    }

    /// <summary>
    /// The model, kept from disposal until the lease is disposed (an unload meanwhile removes it
    /// from the registry at once and disposes it when the lease ends).
    /// </summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">UnknownModel.</exception>
    public ModelLease Lease(string modelId)
    {
        lock (_lock)
        {
            var model = _models.FirstOrDefault(m => m.Id == modelId)
                        ?? throw RpcErrors.UnknownModel(modelId, _models.Select(m => m.Id));
            _leases[model] = _leases.GetValueOrDefault(model) + 1;
            return new ModelLease(this, model);
        }
    }

    internal void ReturnLease(LoadedModel model)
    {
        lock (_lock)
        {
            var left = _leases.GetValueOrDefault(model) - 1;
            if (left > 0)
            {
                _leases[model] = left;
                return;
            }
            _leases.Remove(model);
            if (!_disposeWhenReturned.Remove(model)) return;
        }
        model.Model.Dispose();
    }

    /// <summary>Disposes now, or when its last lease ends.</summary>
    private void DisposeWhenFree(LoadedModel model)
    {
        lock (_lock)
        {
            if (_leases.ContainsKey(model))
            {
                _disposeWhenReturned.Add(model);
                return;
            }
        }
        model.Model.Dispose();
    }

    /// <summary>The model already loaded from these bytes with these options, made active.</summary>
    public LoadedModel? FindAndActivate(string checkpointHash, string optionsKey)
    {
        lock (_lock)
        {
            var found = _models.FirstOrDefault(m => m.Model.CheckpointHash == checkpointHash && m.OptionsKey == optionsKey);
            if (found is not null) _activeId = found.Id;
            return found;
        }
    }

    /// <summary>Adds a newly loaded model and makes it active; if an equal one raced in first, keeps that one and disposes this.</summary>
    public LoadedModel Add(IModel model, string optionsKey)
    {
        lock (_lock)
        {
            var existing = _models.FirstOrDefault(m => m.Model.CheckpointHash == model.CheckpointHash && m.OptionsKey == optionsKey);
            if (existing is not null)
            {
                model.Dispose();
                _activeId = existing.Id;
                return existing;
            }
            var id = NewId(model.CheckpointHash);
            var entry = new LoadedModel(id, model, optionsKey, Describe(id, model));
            _models.Add(entry);
            _activeId = id;
            return entry;
        }
    }

    public bool Remove(string modelId)
    {
        LoadedModel? removed;
        lock (_lock)
        {
            removed = _models.FirstOrDefault(m => m.Id == modelId);
            if (removed is null) return false;
            _models.Remove(removed);
            if (_activeId == modelId) _activeId = _models.Count > 0 ? _models[^1].Id : null;
        }
        DisposeWhenFree(removed);
        return true;
    }

    public void Dispose()
    {
        List<LoadedModel> models;
        lock (_lock)
        {
            models = [.. _models];
            _models.Clear();
            _activeId = null;
        }
        foreach (var m in models) DisposeWhenFree(m);
    }

    /// <summary>The options that make two loads of the same bytes different models.</summary>
    public static string OptionsKey(ModelOptions o) => string.Join('|',
        o.Architecture?.Trim().ToLowerInvariant() ?? "",
        o.InputHeight?.ToString(CultureInfo.InvariantCulture) ?? "",
        o.InputWidth?.ToString(CultureInfo.InvariantCulture) ?? "",
        o.Mean is null ? "" : string.Join(',', o.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
        o.Std is null ? "" : string.Join(',', o.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
        o.Device.Trim().ToLowerInvariant());

    /// <summary>The first 8 hex digits of the hash: stable across restarts for the same file; a suffix when options differ.</summary>
    private string NewId(string hash)
    {
        var stem = hash.Length >= 8 ? hash[..8] : hash.Length > 0 ? hash : "model";
        var id = stem;
        for (var n = 2; _models.Any(m => m.Id == id); n++) id = $"{stem}-{n}";
        return id;
    }

    public static P.ModelInfo Describe(string id, IModel model) => new(
        id,
        model.CheckpointPath,
        model.CheckpointHash,
        model.Architecture,
        new P.InputSpec(model.Input.Channels, model.Input.Height, model.Input.Width, model.Input.Mean, model.Input.Std),
        model.ClassCount,
        model.DeviceName,
        model.Layers.Select(ToProtocol).ToList(),
        model.ClassNames is { Count: > 0 } names ? [.. names] : null,
        PreprocessingMapping.ToProtocol(model.ImagePreprocessing),
        model.IsGenerator);

    public static P.LayerInfo ToProtocol(Engine.Layers.LayerInfo l) => new(l.Name, l.Kind, l.Units, l.OutputShape);
}
