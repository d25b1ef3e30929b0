namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>
/// How an attack moved one unit: its activation averaged over its map (a value per image), clean and attacked, averaged
/// over the images; <see cref="MeanAbsoluteChange"/> is the mean over images of |attacked − clean| (what units are ranked
/// by: a unit pushed up on some images and down on others still counts), <see cref="Change"/> the signed mean.
/// </summary>
public sealed record UnitChange(int Unit, double CleanMean, double AttackedMean, double Change, double MeanAbsoluteChange)
{
    /// <summary>The change relative to the unit's clean activity: |change| / (mean |clean| + 1e-6).</summary>
    public double RelativeChange => MeanAbsoluteChange / (Math.Abs(CleanMean) + 1e-6);
}

/// <summary>A layer's units ranked by how much the attack changed them (largest mean absolute change first, ties by unit).</summary>
public sealed record UnitChangeResult(string Layer, int Images, IReadOnlyList<UnitChange> Units);

/// <summary>
/// The top <see cref="K"/> changed units against the top <see cref="K"/> units of a class's ranking (each unit removed
/// alone, <see cref="Ablation.Ablator.Rank"/>): the units in both, and how many two random sets of k units of the layer
/// would share on average (k² / units).
/// </summary>
public sealed record UnitOverlap(
    string Role,
    int ClassIndex,
    string ClassName,
    int K,
    IReadOnlyList<int> ChangedUnits,
    IReadOnlyList<int> ImportantUnits,
    IReadOnlyList<int> Shared,
    double ExpectedByChance);

/// <summary>What <c>unitscope attack</c> and the daemon report: the attack, the unit changes, and the overlaps with the
/// source and target classes' rankings where those could be computed.</summary>
public sealed record AdversarialUnitReport(AttackResult Attack, UnitChangeResult Changes, IReadOnlyList<UnitOverlap> Overlaps);
