using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Visualization;

/// <summary>
/// Checks of what a client asks of activation maximisation, against the model, before anything runs: each failure is
/// a documented error naming the parameter (UnknownLayer, UnitOutOfRange, InvalidArgument) and starts nothing. The
/// ranges are the Engine's own (<see cref="ActivationMaximizer.Check"/>).
/// </summary>
internal static class VisualizationChecks
{
    public static MaximizationSettings Maximization(P.VisualizeParams p, IModel model)
    {
        var layer = AnalysisChecks.Layer(model, p.Layer, spatial: false, "activation maximisation");
        AnalysisChecks.Unit(p.Unit, layer);
        var settings = new MaximizationSettings(layer.Name, p.Unit, p.Objective ?? P.MaximizationObjective.Channel,
            p.Seed ?? Defaults.Seed, p.Rounds ?? Defaults.Rounds, p.Steps ?? Defaults.StepsPerRound, p.Upscale ?? Defaults.UpscaleFactor,
            p.LearningRate ?? Defaults.LearningRate, p.Blur ?? Defaults.BlurSigma, p.Jitter ?? Defaults.Jitter);
        ActivationMaximizer.Check(layer, model.Input, p.Unit, Options(settings));
        return settings;
    }

    static readonly MaximizationOptions Defaults = new();

    /// <summary>The Engine's options for <paramref name="s"/>.</summary>
    public static MaximizationOptions Options(MaximizationSettings s) => new()
    {
        Objective = s.Objective == P.MaximizationObjective.Neuron ? MaximizationObjective.Neuron : MaximizationObjective.Channel,
        Seed = s.Seed,
        Rounds = s.Rounds,
        StepsPerRound = s.Steps,
        UpscaleFactor = s.Upscale,
        LearningRate = s.LearningRate,
        BlurSigma = s.Blur,
        Jitter = s.Jitter,
    };
}
