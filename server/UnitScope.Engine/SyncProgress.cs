namespace UnitScope.Engine;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, unlike
/// <see cref="Progress{T}"/>, which posts to a synchronization context: the engine reports between
/// batches, and a handler that stores a finished layer or hands the device over must do it there.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
