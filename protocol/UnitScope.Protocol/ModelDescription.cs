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
/// <param name="Resize">How an ImageFolder evaluation set's images are sized for the model, first: resize so the
/// shorter side has this many pixels (torchvision <c>Resize(int)</c>), 1–16384.</param>
/// <param name="CenterCrop">Then cut their centre, [height, width] in pixels (torchvision <c>CenterCrop</c>), each 1–16384.
/// Both are saved as <c>resize</c> / <c>centerCrop</c> and used when an evaluation set is opened for the model
/// (options given explicitly, e.g. the CLI's --resize/--crop, win); the images are then resized to
/// <c>inputSize</c> and normalised with <c>mean</c>/<c>std</c>.</param>
public sealed record WriteModelDescriptionParams(
    string ModelPath,
    string? Architecture = null,
    IReadOnlyList<int>? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string? ClassNamesFile = null,
    IReadOnlyList<string>? ClassNames = null,
    int? Resize = null,
    IReadOnlyList<int>? CenterCrop = null);

/// <param name="Path">The description file.</param>
/// <param name="Created">Whether the file is new (else it was updated).</param>
/// <param name="ClassCount">How many class names it gives, when it gives any.</param>
/// <param name="Resize">The file's <c>resize</c> (shorter side in pixels), when it gives one.</param>
/// <param name="CenterCrop">The file's <c>centerCrop</c>, [height, width], when it gives one.</param>
public sealed record WriteModelDescriptionResult(
    string Path,
    bool Created,
    string? Architecture = null,
    IReadOnlyList<int>? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string? ClassNamesFile = null,
    int? ClassCount = null,
    int? Resize = null,
    IReadOnlyList<int>? CenterCrop = null);
