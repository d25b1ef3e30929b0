using System.Runtime.CompilerServices;

namespace UnitScope.Server.Models;

/// <summary>
/// Works out a model's receptive fields (a few passes, under the model's lock) in the background, once per model, the
/// first time a hover asks for one: hovers never wait for it, and a model that is never hovered never pays for it (an
/// analysis started right after a load would otherwise wait behind it). Runs under a lease, so an unload waits.
/// </summary>
internal static class BackgroundReceptiveFields
{
    private static readonly ConditionalWeakTable<IModel, object> Started = new();

    public static void Start(DaemonServices services, LoadedModel entry)
    {
        if (entry.Model is not ISessionModel || !Started.TryAdd(entry.Model, new object())) return;
        ModelLease lease;
        try
        {
            lease = services.Models.Lease(entry.Id);
        }
        catch (StreamJsonRpc.LocalRpcException)
        {
            return; // unloaded meanwhile
        }
        _ = Task.Run(() =>
        {
            using (lease)
            {
                try
                {
                    lease.Loaded.Model.ComputeReceptiveFields();
                }
                catch (Exception e)
                {
                    services.Log.Warn($"receptive fields of {entry.Id} could not be worked out: {e.Message}");
                }
            }
        });
    }
}
