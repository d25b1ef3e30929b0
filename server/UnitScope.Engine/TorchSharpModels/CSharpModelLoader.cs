using System.Reflection;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.TorchSharpModels;

/// <summary>
/// A user's TorchSharp model built from its C# definition, with the load context that holds its code.
/// <paramref name="Name"/>: the class (<c>Ns.Net</c>) or the factory (<c>Ns.Models.Create()</c>).
/// </summary>
internal sealed record CSharpModel(nn.Module<Tensor, Tensor> Module, ModelLoadContext Context, string Name);

/// <summary>
/// Builds a user's TorchSharp model from its C# definition: the assembly (or the source file,
/// compiled) is loaded into a collectible <see cref="ModelLoadContext"/> that shares the daemon's
/// TorchSharp, and the model is made by its constructor or static factory. Failures name the file
/// and the type: a missing type lists the model classes there are (closest first); a constructor
/// that throws is reported with its exception and the user's frames of its stack.
/// </summary>
internal static class CSharpModelLoader
{
    const int ListedFrames = 8;

    public static CSharpModel Build(CSharpModelDefinition definition)
    {
        TorchRuntime.EnsureLoaded();
        string file = Path.GetFileName(definition.CodePath);
        byte[] image;
        byte[]? symbols = null;
        if (definition.AssemblyPath is { } dll)
        {
            image = ReadFile(dll, "assembly");
            string pdb = Path.ChangeExtension(dll, ".pdb");
            if (UserFile.IsRegular(pdb))
            {
                try { symbols = File.ReadAllBytes(pdb); }
                catch (IOException) { symbols = null; }
            }
        }
        else
        {
            (image, symbols) = CSharpSourceCompiler.Compile(definition.SourcePath!);
        }

        var context = new ModelLoadContext(file, definition.AssemblyPath);
        try
        {
            Assembly assembly;
            try
            {
                assembly = context.LoadMain(image, symbols);
            }
            catch (BadImageFormatException e)
            {
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"{definition.CodePath} is not a .NET assembly ({e.Message.TrimEnd('.')}).", e);
            }
            var (factory, description) = FindFactory(assembly, definition.TypeName, file);
            var module = Invoke(factory, description);
            return new CSharpModel(module, context, description);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    static byte[] ReadFile(string path, string what) =>
        UserFile.Read(path, File.ReadAllBytes, $"The model's {what} was not found: {path}", reason => $"Cannot read the model's {what} {path}: {reason}");

    /// <summary>A way to make the model (a constructor or a static method) and how to name it in messages.</summary>
    static (MethodBase Factory, string Description) FindFactory(Assembly assembly, string? typeName, string file)
    {
        var types = LoadableTypes(assembly, file);
        var modelClasses = types.Where(IsModelClass).ToList();
        string Listed() => modelClasses.Count == 0
            ? $"{file} defines no public class deriving from nn.Module<Tensor, Tensor>"
            : $"the model classes in {file}: {string.Join(", ", Closest(modelClasses.Select(t => t.FullName!), typeName ?? ""))}";

        if (typeName is null)
        {
            if (modelClasses.Count != 1)
                throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
                    $"Name the model's class (typeName): {Listed()}.");
            return ForType(modelClasses[0]) ?? throw NoWayToMake(modelClasses[0]);
        }

        var type = types.FirstOrDefault(t => t.FullName == typeName || t.FullName?.Replace('+', '.') == typeName)
                   ?? types.SingleOrDefault(t => t.Name == typeName && t.IsPublic);
        if (type is not null)
            return ForType(type) ?? throw NoWayToMake(type);

        // Namespace.Type.Method: a static factory method.
        int dot = typeName.LastIndexOf('.');
        if (dot > 0)
        {
            string owner = typeName[..dot], method = typeName[(dot + 1)..];
            var ownerType = types.FirstOrDefault(t => t.FullName == owner || t.FullName?.Replace('+', '.') == owner)
                            ?? types.SingleOrDefault(t => t.Name == owner && t.IsPublic);
            if (ownerType is not null)
            {
                var factories = StaticFactories(ownerType).Where(m => m.Name == method).ToList();
                if (factories.Count >= 1)
                    return (factories.OrderBy(m => m.GetParameters().Length).First(), $"{ownerType.FullName}.{method}()");
                throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
                    $"{ownerType.FullName} in {file} has no public static method {method}() without required parameters that returns an " +
                    $"nn.Module<Tensor, Tensor>{FactoryList(ownerType)}.");
            }
        }
        throw new UnitScopeException(EngineErrorKind.UnknownArchitecture, $"No type {typeName} in {file}; {Listed()}.");
    }

    static List<Type> LoadableTypes(Assembly assembly, string file)
    {
        try
        {
            return [.. assembly.GetTypes()];
        }
        catch (ReflectionTypeLoadException e)
        {
            var first = e.LoaderExceptions.FirstOrDefault(x => x is not null);
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The types in {file} cannot be loaded: {first?.Message ?? e.Message} " +
                "(a dependency missing beside the assembly, or built against another TorchSharp than the daemon's " +
                $"{typeof(TorchSharp.torch).Assembly.GetName().Version}).", e);
        }
    }

    static bool IsModelClass(Type t) =>
        t.IsClass && !t.IsAbstract && (t.IsPublic || t.IsNestedPublic) && typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(t);

    /// <summary>The type's own way to be made: a constructor whose parameters all have defaults (fewest first), else one static factory.</summary>
    static (MethodBase, string)? ForType(Type type)
    {
        if (IsModelClass(type))
        {
            var constructor = type.GetConstructors()
                .Where(c => c.GetParameters().All(p => p.HasDefaultValue))
                .OrderBy(c => c.GetParameters().Length)
                .FirstOrDefault();
            if (constructor is not null)
                return (constructor, type.FullName!);
        }
        else if (!typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(type) && StaticFactories(type).Count == 0)
        {
            throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
                $"{type.FullName} is not an nn.Module<Tensor, Tensor> (it derives from {type.BaseType?.FullName ?? "nothing"}) " +
                "and has no static method that returns one.");
        }
        var factories = StaticFactories(type);
        return factories.Count == 1 ? (factories[0], $"{type.FullName}.{factories[0].Name}()") : null;
    }

    static List<MethodInfo> StaticFactories(Type type) =>
        [.. type.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => !m.IsGenericMethodDefinition && !m.IsSpecialName
                        && typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(m.ReturnType)
                        && m.GetParameters().All(p => p.HasDefaultValue))];

    static UnitScopeException NoWayToMake(Type type)
    {
        var constructors = type.GetConstructors()
            .Select(c => "(" + string.Join(", ", c.GetParameters().Select(p => $"{p.ParameterType.Name} {p.Name}")) + ")")
            .ToList();
        return new UnitScopeException(EngineErrorKind.UnknownArchitecture,
            $"{type.FullName} has no public constructor whose parameters all have defaults " +
            $"({(constructors.Count == 0 ? "it has no public constructor" : "its constructors take " + string.Join(", ", constructors))}) " +
            $"and no single public static method that returns the model{FactoryList(type)}: add one, e.g. " +
            $"public static {type.Name} Create() => new(...), and name it as {type.FullName}.Create.");
    }

    static string FactoryList(Type type)
    {
        var names = type.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(m.ReturnType))
            .Select(m => m.Name + "(" + string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name)) + ")")
            .Distinct()
            .ToList();
        return names.Count == 0 ? "" : $" (its static methods returning a model: {string.Join(", ", names)})";
    }

    static nn.Module<Tensor, Tensor> Invoke(MethodBase factory, string description)
    {
        object?[] arguments = [.. factory.GetParameters().Select(p => p.DefaultValue is DBNull ? Type.Missing : p.DefaultValue)];
        object? made;
        try
        {
            made = factory is ConstructorInfo constructor ? constructor.Invoke(arguments) : factory.Invoke(null, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            string call = factory is ConstructorInfo ? $"new {description}()" : description;
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{call} threw {inner.GetType().Name}: {inner.Message.TrimEnd('.')}.{UserFrames(inner)}", inner);
        }
        return made as nn.Module<Tensor, Tensor>
               ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"{description} returned null instead of a model.");
    }

    /// <summary>The stack's frames outside TorchSharp and the framework: where the user's code threw.</summary>
    static string UserFrames(Exception e)
    {
        var frames = (e.StackTrace ?? "").Split('\n')
            .Select(l => l.TrimEnd())
            .Where(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)
                        && !l.Contains(" System.", StringComparison.Ordinal) && !l.Contains(" TorchSharp.", StringComparison.Ordinal)
                        && !l.Contains(" Microsoft.", StringComparison.Ordinal))
            .Take(ListedFrames)
            .ToList();
        return frames.Count == 0 ? "" : "\n" + string.Join("\n", frames);
    }

    static IEnumerable<string> Closest(IEnumerable<string> names, string wanted) =>
        names.OrderBy(n => Distance(n.Split('.')[^1], wanted.Split('.')[^1])).ThenBy(n => n, StringComparer.Ordinal).Take(12);

    static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
