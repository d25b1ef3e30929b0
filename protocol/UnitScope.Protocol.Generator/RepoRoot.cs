namespace UnitScope.Protocol.Generator;

public static class RepoRoot
{
    /// <summary>The first directory holding Backend.sln, from the current directory up, then from this assembly up.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")))
                    return dir.FullName;
        }
        return null;
    }
}
