namespace UnitScope.Engine.Tests;

/// <summary>
/// Tests that compare numbers bit for bit run apart from the others: oneDNN is switched off process-wide while
/// any model that needs it off runs (OneDnnConvolutions.Avoid: the load-time check, gradient passes on this CPU),
/// so a pass on another test's thread may take other kernels in the middle of a comparison.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExactNumerics
{
    public const string Name = "exact numerics";
}
