namespace UnitScope.Engine;

/// <summary>Class names from <c>NAME.classes.txt</c> beside <c>NAME.pth</c>: one name per line.</summary>
static class ClassNameFile
{
    public static IReadOnlyList<string> Read(string checkpointPath, int classCount)
    {
        string file = Path.ChangeExtension(checkpointPath, ".classes.txt");
        // Only a regular file: a FIFO of that name would block the load.
        if (UserFile.IsRegular(file))
        {
            var names = UserFile.Read(file, File.ReadAllLines, $"Class names file not found: {file}", reason => $"Cannot read class names file {file}: {reason}")
                .Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (names.Count == classCount)
                return names;
        }
        return [.. Enumerable.Range(0, classCount).Select(i => $"class {i}")];
    }
}
