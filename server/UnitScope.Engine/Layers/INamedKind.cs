namespace UnitScope.Engine.Layers;

/// <summary>A module that says what kind of layer it stands for, when its class name would not (a generic tap).</summary>
public interface INamedKind
{
    string Kind { get; }
}
