namespace UnitScope.Server.Analysis;

/// <summary>An opened evaluation set, as handlers see it (the engine keeps what it needs behind it).</summary>
internal interface IEvaluationData
{
    /// <summary>"probe" or the folder.</summary>
    string Name { get; }
    /// <summary>Identity of the content: part of every cache key.</summary>
    string ContentHash { get; }
    int Count { get; }
}
