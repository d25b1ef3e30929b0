using UnitScope.Protocol.Generator;

// Writes extension/src/protocol.generated.ts (or checks it with --check).
//   dotnet run --project protocol/UnitScope.Protocol.Generator [-- --check] [-- --out PATH]
var check = args.Contains("--check");
var outIndex = Array.IndexOf(args, "--out");
var root = RepoRoot.Find();
var path = outIndex >= 0 && outIndex + 1 < args.Length
    ? Path.GetFullPath(args[outIndex + 1])
    : Path.Combine(root ?? throw new InvalidOperationException("Run inside the repository (no Backend.sln above the current directory), or pass --out PATH."),
        TypeScriptGenerator.OutputPath);

var text = TypeScriptGenerator.GenerateProtocol();
var current = File.Exists(path) ? File.ReadAllText(path) : null;
if (check)
{
    if (current == text)
    {
        Console.WriteLine($"{path} is up to date.");
        return 0;
    }
    Console.Error.WriteLine($"{path} is stale; run: {TypeScriptGenerator.RegenerateCommand}");
    return 1;
}
if (current == text)
{
    Console.WriteLine($"{path} is up to date.");
    return 0;
}
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
File.WriteAllText(path, text);
Console.WriteLine($"Wrote {path}.");
return 0;
