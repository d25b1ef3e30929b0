namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// The GAN tests run one at a time: their odd-channel generators need oneDNN kept off, and a model's load-time check
/// (<see cref="Runtime.OneDnnConvolutions.Affects"/>) measures "with oneDNN" with whatever the process-wide switch is,
/// so a load while another test's pass holds oneDNN off can miss that the model needs it off.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GanCollection
{
    public const string Name = "gan models";
}
