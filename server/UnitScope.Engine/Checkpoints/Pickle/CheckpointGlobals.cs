using System.Text.Json;

namespace UnitScope.Engine.Checkpoints.Pickle;

/// <summary>
/// The checkpoint allow-list shared with the extension's exporter: extension/python/checkpoint_globals.json, embedded
/// in this assembly, is the one source both readers take it from, so a checkpoint the exporter reads is one the daemon
/// reads and the other way round.
/// </summary>
/// <param name="Globals">module.name of every global a pickle may name and call.</param>
/// <param name="StorageModules">Modules whose *Storage classes name a tensor's element type (torch, torch.cuda).</param>
/// <param name="StorageTypes">The storage classes read (torch.FloatStorage …).</param>
internal sealed record CheckpointGlobals(IReadOnlyList<string> Globals, IReadOnlyList<string> StorageModules, IReadOnlyList<string> StorageTypes)
{
    const string ResourceName = "UnitScope.Engine.checkpoint_globals.json";

    public static CheckpointGlobals Embedded()
    {
        using var stream = typeof(CheckpointGlobals).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in UnitScope.Engine.");
        return JsonSerializer.Deserialize<CheckpointGlobals>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException($"{ResourceName} is empty.");
    }
}
