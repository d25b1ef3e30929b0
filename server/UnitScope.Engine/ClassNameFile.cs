namespace UnitScope.Engine;

/// <summary>Class names from <c>NAME.classes.txt</c> beside <c>NAME.pth</c>: one name per line.</summary>
static class ClassNameFile
{
    public static IReadOnlyList<string> Read(string checkpointPath, int classCount)
    {
        string file = Path.ChangeExtension(checkpointPath, ".classes.txt");
        if (File.Exists(file))
        {
            var names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (names.Count == classCount)
                return names;
        }
        return [.. Enumerable.Range(0, classCount).Select(i => $"class {i}")];
    }
}
