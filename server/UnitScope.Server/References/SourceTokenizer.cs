namespace UnitScope.Server.References;

public enum SourceLanguage { Python, CSharp }

internal static class SourceLanguages
{
    /// <summary>From the LSP languageId, else the file extension; Python when unknown.</summary>
    public static SourceLanguage Detect(string? languageId, string? uri)
    {
        switch (languageId?.ToLowerInvariant())
        {
            case "python": return SourceLanguage.Python;
            case "csharp" or "c#": return SourceLanguage.CSharp;
        }
        var path = uri ?? "";
        return path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".csx", StringComparison.OrdinalIgnoreCase)
            ? SourceLanguage.CSharp
            : SourceLanguage.Python;
    }
}

internal enum TokenKind { Identifier, Number, String, Punct }

/// <summary>A token: its kind, its span in the text, and its text (a string's content, without quotes).</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int End, string Text, int Line)
{
    public bool Is(string punct) => Kind == TokenKind.Punct && Text == punct;
    public bool IsIdentifier => Kind == TokenKind.Identifier;
}

/// <summary>
/// A forgiving tokenizer for Python and C# source: identifiers, numbers, string literals,
/// punctuation; comments and whitespace skipped. It never fails; it is not a parser. Bracket
/// structure is computed on top: for each token its innermost enclosing open bracket, and for
/// each open bracket its closing one.
/// </summary>
internal sealed class TokenizedSource
{
    private static readonly string[] MultiCharPuncts =
        ["**=", "//=", "==", "!=", "<=", ">=", "=>", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "::", "**", "//", ":=", "&&", "||", "??", "?."];

    public string Text { get; }
    public SourceLanguage Language { get; }
    public IReadOnlyList<Token> Tokens { get; }
    /// <summary>Index of the innermost open bracket token enclosing each token (-1: top level).</summary>
    public int[] Parent { get; }
    /// <summary>For an open bracket, the index of its closing token (or the last token when unbalanced); -1 otherwise.</summary>
    public int[] Match { get; }

    public TokenizedSource(string text, SourceLanguage language)
    {
        Text = text;
        Language = language;
        var tokens = Tokenize(text, language);
        Tokens = tokens;
        (Parent, Match) = Brackets(tokens);
    }

    public Token this[int i] => i >= 0 && i < Tokens.Count ? Tokens[i] : default;
    public int Count => Tokens.Count;

    public bool IsPunct(int i, string punct) => i >= 0 && i < Tokens.Count && Tokens[i].Is(punct);
    public bool IsIdentifier(int i) => i >= 0 && i < Tokens.Count && Tokens[i].IsIdentifier;
    public bool IsKind(int i, TokenKind kind) => i >= 0 && i < Tokens.Count && Tokens[i].Kind == kind;

    /// <summary>The token covering <paramref name="offset"/>, or the identifier/number/string ending right there.</summary>
    public int TokenAt(int offset)
    {
        for (var i = 0; i < Tokens.Count; i++)
        {
            var t = Tokens[i];
            if (t.Start <= offset && offset < t.End)
            {
                // Right after a name and before punctuation ("conv1|(" or "28|]"): the name.
                if (t.Kind == TokenKind.Punct && t.Start == offset && i > 0 && Tokens[i - 1].End == offset && Tokens[i - 1].Kind != TokenKind.Punct)
                    return i - 1;
                return i;
            }
            if (t.Start > offset) break;
        }
        for (var i = 0; i < Tokens.Count; i++)
            if (Tokens[i].End == offset && Tokens[i].Kind != TokenKind.Punct) return i;
        return -1;
    }

    /// <summary>Leading spaces of a line (tabs count 8), or -1 for a blank or comment-only line.</summary>
    public int Indent(int line)
    {
        var start = LineStart(line);
        if (start < 0) return -1;
        var width = 0;
        for (var i = start; i < Text.Length; i++)
        {
            var c = Text[i];
            if (c == ' ') width++;
            else if (c == '\t') width += 8 - width % 8;
            else if (c is '\n' or '\r' || c == '#') return -1;
            else return width;
        }
        return -1;
    }

    private int[]? _lineStarts;

    private int LineStart(int line)
    {
        _lineStarts ??= ComputeLineStarts(Text);
        return line >= 0 && line < _lineStarts.Length ? _lineStarts[line] : -1;
    }

    public int LineCount => (_lineStarts ??= ComputeLineStarts(Text)).Length;

    private static int[] ComputeLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
                starts.Add(i + 1);
        }
        return [.. starts];
    }

    private static List<Token> Tokenize(string s, SourceLanguage language)
    {
        var tokens = new List<Token>();
        var line = 0;
        var i = 0;
        var lineHasToken = false;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '\n' || (c == '\r' && (i + 1 >= s.Length || s[i + 1] != '\n')))
            {
                line++;
                lineHasToken = false;
                i++;
                continue;
            }
            if (char.IsWhiteSpace(c)) { i++; continue; }

            // Comments (and C# preprocessor lines).
            if ((language == SourceLanguage.Python && c == '#')
                || (language == SourceLanguage.CSharp && (Starts(s, i, "//") || (c == '#' && !lineHasToken))))
            {
                while (i < s.Length && s[i] is not ('\n' or '\r')) i++;
                continue;
            }
            if (language == SourceLanguage.CSharp && Starts(s, i, "/*"))
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                var stop = end < 0 ? s.Length : end + 2;
                line += CountLines(s, i, stop);
                i = stop;
                continue;
            }

            lineHasToken = true;
            var start = i;
            var startLine = line;

            // String literals, with their prefixes.
            if (StringPrefixLength(s, i, language) is var prefix and >= 0)
            {
                var (end, content) = ReadString(s, i + prefix, language, verbatim: s.AsSpan(i, prefix).Contains('@'));
                line += CountLines(s, i, end);
                tokens.Add(new Token(TokenKind.String, start, end, content, startLine));
                i = end;
                continue;
            }

            if (char.IsLetter(c) || c == '_' || (c == '@' && language == SourceLanguage.CSharp && i + 1 < s.Length && (char.IsLetter(s[i + 1]) || s[i + 1] == '_')))
            {
                i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                var name = s[start..i];
                tokens.Add(new Token(TokenKind.Identifier, start, i, name.TrimStart('@'), startLine));
                continue;
            }

            if (char.IsDigit(c))
            {
                i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_' || (s[i] == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1])))) i++;
                tokens.Add(new Token(TokenKind.Number, start, i, s[start..i], startLine));
                continue;
            }

            var punct = MultiCharPuncts.FirstOrDefault(p => Starts(s, i, p)) ?? c.ToString();
            i += punct.Length;
            tokens.Add(new Token(TokenKind.Punct, start, i, punct, startLine));
        }
        return tokens;
    }

    /// <summary>Length of a string prefix at i (0 for a bare quote), or -1 when no string starts here.</summary>
    private static int StringPrefixLength(string s, int i, SourceLanguage language)
    {
        for (var len = 0; len <= 3 && i + len < s.Length; len++)
        {
            var q = s[i + len];
            if (q is '"' or '\'')
            {
                if (len == 0) return 0;
                var prefix = s.AsSpan(i, len);
                if (language == SourceLanguage.Python)
                {
                    foreach (var p in prefix)
                        if (char.ToLowerInvariant(p) is not ('r' or 'b' or 'f' or 'u')) return -1;
                    // A prefix must not continue an identifier (e.g. "bar'").
                    return i > 0 && (char.IsLetterOrDigit(s[i - 1]) || s[i - 1] == '_') ? -1 : len;
                }
                if (q == '\'') return -1;
                foreach (var p in prefix)
                    if (p is not ('@' or '$')) return -1;
                return len;
            }
            if (language == SourceLanguage.Python ? !char.IsLetter(q) : q is not ('@' or '$')) return -1;
        }
        return -1;
    }

    private static (int End, string Content) ReadString(string s, int i, SourceLanguage language, bool verbatim)
    {
        var quote = s[i];
        // Triple-quoted (Python) / raw (C# 11) strings.
        if (i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote)
        {
            var q3 = new string(quote, 3);
            var close = s.IndexOf(q3, i + 3, StringComparison.Ordinal);
            var end = close < 0 ? s.Length : close + 3;
            return (end, s[(i + 3)..(close < 0 ? s.Length : close)]);
        }
        var j = i + 1;
        while (j < s.Length)
        {
            var c = s[j];
            if (c == '\\' && !verbatim) { j += 2; continue; }
            if (c == quote)
            {
                if (verbatim && j + 1 < s.Length && s[j + 1] == quote) { j += 2; continue; }
                return (j + 1, s[(i + 1)..j]);
            }
            if (c is '\n' or '\r' && !verbatim) break;
            j++;
        }
        j = Math.Min(j, s.Length);
        return (j, s[(i + 1)..j]);
    }

    private static (int[] Parent, int[] Match) Brackets(List<Token> tokens)
    {
        var parent = new int[tokens.Count];
        var match = new int[tokens.Count];
        Array.Fill(match, -1);
        var stack = new Stack<int>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind == TokenKind.Punct && t.Text is ")" or "]" or "}")
            {
                var open = t.Text switch { ")" => "(", "]" => "[", _ => "{" };
                if (stack.Any(o => tokens[o].Text == open))
                {
                    while (tokens[stack.Peek()].Text != open) match[stack.Pop()] = i - 1;
                    var o = stack.Pop();
                    match[o] = i;
                }
            }
            parent[i] = stack.Count > 0 ? stack.Peek() : -1;
            if (t.Kind == TokenKind.Punct && t.Text is "(" or "[" or "{") stack.Push(i);
        }
        while (stack.Count > 0) match[stack.Pop()] = tokens.Count - 1;
        return (parent, match);
    }

    private static bool Starts(string s, int i, string what) => string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static int CountLines(string s, int from, int to)
    {
        var n = 0;
        for (var k = from; k < to && k < s.Length; k++)
            if (s[k] == '\n' || (s[k] == '\r' && (k + 1 >= s.Length || s[k + 1] != '\n'))) n++;
        return n;
    }
}
