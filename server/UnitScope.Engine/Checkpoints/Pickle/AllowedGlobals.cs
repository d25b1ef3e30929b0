using System.Text;

namespace UnitScope.Engine.Checkpoints.Pickle;

/// <summary>
/// The only globals a checkpoint pickle may name, and what "calling" each one means here: every
/// call builds plain data (a dict, a tuple, a <see cref="TensorRef"/>, a number); nothing runs.
/// <list type="bullet">
/// <item>collections.OrderedDict; torch._utils._rebuild_tensor(_v2), _rebuild_parameter(_with_state);
/// torch.Size; torch.*Storage (module torch or torch.cuda: CUDA tensors land on the CPU).</item>
/// <item>numpy scalars, which training scripts store as epoch/best_prec1: numpy.core.multiarray.scalar
/// (and numpy 2's numpy._core), numpy.dtype, and _codecs.encode(text, 'latin1'), which is how
/// protocol 2 pickles the scalar's bytes. Decoded from bytes; numpy arrays stay refused.</item>
/// <item>argparse.Namespace (saved args): an inert <see cref="PyNamespace"/> whose attributes BUILD sets.</item>
/// </list>
/// Everything else (os.system, builtins.eval, a model class …) is refused with
/// <see cref="EngineErrorKind.UnsafeCheckpoint"/> as soon as the pickle names it.
/// </summary>
internal static class AllowedGlobals
{
    const string OrderedDict = "collections.OrderedDict";
    const string RebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
    const string RebuildTensor = "torch._utils._rebuild_tensor";
    const string RebuildParameter = "torch._utils._rebuild_parameter";
    const string RebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";
    const string TorchSize = "torch.Size";
    const string CodecsEncode = "_codecs.encode";
    const string NumpyScalar = "numpy.core.multiarray.scalar";
    const string NumpyScalar2 = "numpy._core.multiarray.scalar";
    const string NumpyDtypeName = "numpy.dtype";
    const string ArgparseNamespace = "argparse.Namespace";

    /// <summary>The globals <see cref="Call"/> and <see cref="New"/> implement.</summary>
    internal static readonly IReadOnlySet<string> Implemented = new HashSet<string>(
    [
        OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, RebuildParameterWithState,
        TorchSize, CodecsEncode, NumpyScalar, NumpyScalar2, NumpyDtypeName, ArgparseNamespace,
    ]);

    /// <summary>The allow-list itself, shared with the exporter (extension/python/checkpoint_globals.json, embedded).</summary>
    internal static readonly CheckpointGlobals Listed = CheckpointGlobals.Embedded();

    static readonly HashSet<string> Callables = [.. Listed.Globals.Where(Implemented.Contains)];

    // Modules whose capitalised names are still not model classes (for the refusal's hint).
    static readonly HashSet<string> SystemModules =
        ["os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "shutil", "socket", "pty", "runpy", "importlib", "code", "pickle", "webbrowser"];

    /// <summary>What GLOBAL/STACK_GLOBAL pushes for <paramref name="module"/>.<paramref name="name"/>, or a refusal.</summary>
    public static object Resolve(string module, string name)
    {
        if (Listed.StorageModules.Contains(module) && name.EndsWith("Storage", StringComparison.Ordinal))
        {
            return TorchDtype.FromStorageName(name) is { } dtype
                ? new StorageType(dtype)
                : throw CheckpointProblem.Corrupt(
                    $"the checkpoint holds a torch.{name}, an element type UnitScope does not read (supported: {TorchDtype.SupportedList})");
        }
        var global = new PyGlobal(module, name);
        if (Callables.Contains(global.FullName))
            return global;
        throw new CheckpointProblem(EngineErrorKind.UnsafeCheckpoint, RefusalMessage(module, name));
    }

    static string RefusalMessage(string module, string name)
    {
        string message = $"refused to load: the pickle calls {module}.{name} (only tensor-rebuild globals are allowed)";
        if (module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal))
            return message + ". This is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead";
        bool modelLike = module == "__main__" || module.StartsWith("torch.nn.", StringComparison.Ordinal)
            || module.StartsWith("torchvision.", StringComparison.Ordinal) || module.StartsWith("timm.", StringComparison.Ordinal)
            || (name.Length > 0 && char.IsUpper(name[0]) && !SystemModules.Contains(module.Split('.')[0]));
        return modelLike
            ? message + $". If {name} is a model class, the file is a whole pickled model (torch.save(model)); save model.state_dict() instead"
            : message;
    }

    /// <summary>REDUCE: <paramref name="callable"/>(*<paramref name="args"/>).</summary>
    public static object? Call(object? callable, PyTuple args)
    {
        if (callable is not PyGlobal g)
            throw CheckpointProblem.Corrupt($"the pickle calls a {PyTypes.Describe(callable)}, which is not callable");
        switch (g.FullName)
        {
            case OrderedDict:
                return NewDict(args);
            case RebuildTensorV2:
                Arity(g, args, 6, 7);
                return RebuildTensorRef(args);
            case RebuildTensor:
                Arity(g, args, 4, 4);
                return RebuildTensorRef(args);
            case RebuildParameter:
                Arity(g, args, 3, 3);
                return Expect<TensorRef>(args[0], g, "data");
            case RebuildParameterWithState:
                Arity(g, args, 4, 4);
                return Expect<TensorRef>(args[0], g, "data");
            case TorchSize:
                Arity(g, args, 0, 1);
                return args.Count == 0 ? PyTuple.Empty : Expect<PyTuple>(args[0], g, "sizes");
            case CodecsEncode:
                return Latin1(g, args);
            case NumpyScalar or NumpyScalar2:
                Arity(g, args, 1, 2);
                var dtype = Expect<NumpyDtype>(args[0], g, "dtype");
                return args.Count == 2
                    ? NumpyScalars.Decode(dtype, Expect<byte[]>(args[1], g, "data"))
                    : throw CheckpointProblem.Corrupt($"{g.FullName} without data (an object scalar) is not supported");
            case NumpyDtypeName:
                Arity(g, args, 1, 3);
                return new NumpyDtype(Expect<string>(args[0], g, "type code"));
            case ArgparseNamespace:
                Arity(g, args, 0, 0);
                return new PyNamespace();
            default:
                throw CheckpointProblem.Corrupt($"the pickle calls {g.FullName} in a way UnitScope does not support");
        }
    }

    /// <summary>NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args).</summary>
    public static object? New(object? cls, PyTuple args)
    {
        if (cls is PyGlobal { FullName: OrderedDict })
            return new PyDict();
        if (cls is PyGlobal { FullName: ArgparseNamespace })
            return new PyNamespace();
        throw CheckpointProblem.Corrupt($"the pickle constructs a {PyTypes.Describe(cls)}, which UnitScope does not support");
    }

    /// <summary>BUILD: sets an object's state. Only numpy dtypes keep any of it (their byte order).</summary>
    public static void Build(object? obj, object? state)
    {
        if (obj is NumpyDtype dtype)
            dtype.SetState(state);
        if (obj is PyNamespace ns && state is PyDict attributes)
            foreach (var (name, value) in attributes.Entries)
                ns.Attributes.Set(name, value);
        // A dict's attributes (state_dict()._metadata) and a Parameter's state are not needed.
    }

    static PyDict NewDict(PyTuple args)
    {
        var dict = new PyDict();
        if (args.Count == 0)
            return dict;
        if (args.Count == 1 && args[0] is PyList items)
        {
            foreach (var item in items.Items)
            {
                if (item is not PyTuple { Count: 2 } pair)
                    throw CheckpointProblem.Corrupt("OrderedDict was given an item that is not a (key, value) pair");
                dict.Set(pair[0], pair[1]);
            }
            return dict;
        }
        throw CheckpointProblem.Corrupt("OrderedDict was given arguments UnitScope does not support");
    }

    static TensorRef RebuildTensorRef(PyTuple args)
    {
        const string what = "torch._utils._rebuild_tensor_v2";
        var storage = args[0] as StorageRef
            ?? throw CheckpointProblem.Corrupt($"{what} was given a {PyTypes.Describe(args[0])} instead of a storage");
        long offset = PyTypes.ToLong(args[1], "storage offset");
        long[] size = PyTypes.ToLongs(args[2], "size");
        long[] stride = PyTypes.ToLongs(args[3], "stride");
        return new TensorRef(storage, offset, size, stride);
    }

    static byte[] Latin1(PyGlobal g, PyTuple args)
    {
        Arity(g, args, 1, 3);
        string text = Expect<string>(args[0], g, "text");
        string encoding = args.Count >= 2 ? Expect<string>(args[1], g, "encoding") : "utf-8";
        if (encoding is not ("latin1" or "latin-1" or "iso-8859-1" or "iso8859-1"))
            throw CheckpointProblem.Corrupt($"_codecs.encode with encoding '{encoding}' is not supported (only latin1, as pickle protocol 2 writes bytes)");
        if (text.Any(c => c > '\u00ff'))
            throw CheckpointProblem.Corrupt("_codecs.encode was given text that latin1 cannot encode");
        return Encoding.Latin1.GetBytes(text);
    }

    static void Arity(PyGlobal g, PyTuple args, int min, int max)
    {
        if (args.Count < min || args.Count > max)
            throw CheckpointProblem.Corrupt($"{g.FullName} was given {args.Count} arguments");
    }

    static T Expect<T>(object? value, PyGlobal g, string what) => value is T t
        ? t
        : throw CheckpointProblem.Corrupt($"{g.FullName} was given a {PyTypes.Describe(value)} as {what}");
}
