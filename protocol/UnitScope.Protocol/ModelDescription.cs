namespace UnitScope.Protocol;

/// <summary>
/// <c>unitscope/writeModelDescription</c>: sets fields of the description file beside a model
/// (<c>NAME.unitscope.json</c> for <c>NAME.pth</c> / <c>NAME.onnx</c> / <c>NAME.dat</c>). The fields given
/// replace those in the file; the others keep their value (a new file has only the given ones).
/// The file is written atomically and read back with the daemon's strict reader.
/// </summary>
/// <param name="ModelPath">The checkpoint or model file the description belongs to.</param>
/// <param name="Architecture">Zoo name, or "onnx" (a state_dict then loads as <c>NAME.onnx</c> beside it).</param>
/// <param name="InputSize">[height, width] in pixels.</param>
/// <param name="Mean">Per-channel mean in [0, 1] units.</param>
/// <param name="ClassNamesFile">A text file with one class name per line, relative to the model's folder (or absolute);
/// replaces <c>classNames</c> in the file.</param>
/// <param name="ClassNames">The class names themselves; replaces <c>classNamesFile</c>.</param>
public sealed record WriteModelDescriptionParams(
    string ModelPath,
    string? Architecture = null,
    IReadOnlyList<int>? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string? ClassNamesFile = null,
    IReadOnlyList<string>? ClassNames = null);

/// <param name="Path">The description file.</param>
/// <param name="Created">Whether the file is new (else it was updated).</param>
/// <param name="ClassCount">How many class names it gives, when it gives any.</param>
public sealed record WriteModelDescriptionResult(
    string Path,
    bool Created,
    string? Architecture = null,
    IReadOnlyList<int>? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string? ClassNamesFile = null,
    int? ClassCount = null);
