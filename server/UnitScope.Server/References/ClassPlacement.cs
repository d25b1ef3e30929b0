namespace UnitScope.Server.References;

/// <summary>
/// Where in a model a source class is, judged by structure: the model's layer names and kinds against the
/// submodules the class registers (<see cref="SourceClasses"/>). A file may hold the model's class, its
/// blocks, and classes that have nothing to do with the loaded model (a discriminator beside the generator,
/// a tutorial's <c>Net</c> beside a torchvision fine-tuning script); only the first two get hovers and lenses.
/// </summary>
/// <remarks>
/// A class sits at a prefix P ("" for the model itself, "layer1.0." for a block) when
/// <list type="bullet">
/// <item>every submodule it must have (<see cref="ModuleEntry.Required"/>) is a layer P+path, and every one the
/// model has is of a compatible kind (<see cref="ModuleKinds.Compatible"/>: a ConvTranspose2d is no Conv2d);</item>
/// <item>every child of P with weights or children is an attribute the class names, unless the class registers
/// modules under computed names, or the module at P is of the class's own type (the catalog's kind is the
/// class name: a block whose <c>downsample</c> is declared elsewhere). A BasicBlock is not a Bottleneck,
/// whose conv3 it never names;</item>
/// <item>at least one of its submodules is there.</item>
/// </list>
/// When the class fits the model itself it is the model (a small class could also fit inside one of its blocks).
/// </remarks>
internal sealed class ModelStructure
{
    private readonly Dictionary<string, string> _kinds;
    private readonly Dictionary<string, List<string>> _children = new(StringComparer.Ordinal);

    public ModelStructure(IEnumerable<(string Name, string Kind)> layers)
    {
        _kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, kind) in layers) _kinds[name] = kind;
        foreach (var name in _kinds.Keys)
        {
            var dot = name.LastIndexOf('.');
            var parent = dot < 0 ? "" : name[..(dot + 1)];
            if (!_children.TryGetValue(parent, out var list)) _children[parent] = list = [];
            list.Add(name[(dot + 1)..]);
        }
    }

    public IReadOnlyCollection<string> Names => _kinds.Keys;

    public bool Has(string name) => _kinds.ContainsKey(name);

    /// <summary>The prefixes ("" or "a.b.") the class sits at; empty when it is no part of this model.</summary>
    public IReadOnlyList<string> PrefixesOf(SourceClass c)
    {
        if (c.Entries.Count == 0) return [];
        if (FitsAt(c, "")) return [""];
        return _children.Keys.Where(p => p.Length > 0 && FitsAt(c, p)).OrderBy(p => Order(p)).ToList();
    }

    private readonly Dictionary<string, int> _order = [];

    /// <summary>A prefix's place in the catalog's order (depth-first, as named_modules() lists them).</summary>
    private int Order(string prefix)
    {
        if (_order.Count == 0)
        {
            var i = 0;
            foreach (var name in _kinds.Keys) _order[name + "."] = i++;
        }
        return _order.GetValueOrDefault(prefix, int.MaxValue);
    }

    private bool FitsAt(SourceClass c, string prefix)
    {
        var present = false;
        foreach (var entry in c.Entries)
        {
            if (_kinds.TryGetValue(prefix + entry.Path, out var kind))
            {
                if (!ModuleKinds.Compatible(entry.Kind, kind)) return false;
                present = true;
            }
            else if (entry.Required)
            {
                return false;
            }
        }
        if (!present) return false;
        if (c.Dynamic || !_children.TryGetValue(prefix, out var children)) return true;
        if (prefix.Length > 0 && _kinds.GetValueOrDefault(prefix[..^1]) == c.Name) return true;
        foreach (var child in children)
        {
            var kind = _kinds[prefix + child];
            if (kind.Length > 0 && !ModuleKinds.IsPassThrough(kind) && !c.Attributes.Contains(child)) return false;
        }
        return true;
    }
}
