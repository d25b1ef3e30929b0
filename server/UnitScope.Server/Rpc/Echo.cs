namespace UnitScope.Server.Rpc;

/// <summary>
/// Text from a request quoted back in an error or a log line, kept short: a 1 MB layer name is
/// echoed as its first characters and a count, not in full.
/// </summary>
internal static class Echo
{
    /// <summary>The longest error message sent; longer ones lose their middle.</summary>
    public const int MaxMessage = 4000;

    /// <summary>The longest log line written.</summary>
    public const int MaxLogLine = 8000;

    /// <summary><paramref name="text"/>, or its first <paramref name="max"/> characters and how many were left out.</summary>
    public static string Of(string text, int max = 200) =>
        text.Length <= max ? text : $"{text[..max]}… ({text.Length - max} more characters)";

    /// <summary><paramref name="text"/> within <paramref name="max"/> characters: its start and end, the middle left out.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        int keep = Math.Max(0, max - 40) / 2;
        return $"{text[..keep]} … ({text.Length - 2 * keep} characters left out) … {text[^keep..]}";
    }
}
