namespace UnitScope.Engine;

/// <summary>Class names from <c>NAME.classes.txt</c> beside <c>NAME.pth</c>: one name per line.</summary>
static class ClassNameFile
{
    /// <summary>The file's names when it has one per class; else "class 0", "class 1", …, and when the file exists
    /// with another count, <paramref name="warning"/> says so (the names would be matched to the wrong outputs).</summary>
    public static IReadOnlyList<string> Read(string checkpointPath, int classCount, out string? warning)
    {
        warning = null;
        string file = Path.ChangeExtension(checkpointPath, ".classes.txt");
        // Only a regular file: a FIFO of that name would block the load.
        if (UserFile.IsRegular(file))
        {
            var names = UserFile.Read(file, File.ReadAllLines, $"Class names file not found: {file}", reason => $"Cannot read class names file {file}: {reason}")
                .Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (names.Count == classCount)
                return names;
            warning = $"{Path.GetFileName(file)} has {names.Count} class name{(names.Count == 1 ? "" : "s")} but the model has {classCount} outputs: " +
                      "it is not used, and the classes are \"class 0\", \"class 1\", …";
        }
        return [.. Enumerable.Range(0, classCount).Select(i => $"class {i}")];
    }
}
