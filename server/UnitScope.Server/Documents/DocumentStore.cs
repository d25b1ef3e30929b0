using System.Collections.Concurrent;
using UnitScope.Protocol;
using Range = UnitScope.Protocol.Range;

namespace UnitScope.Server.Documents;

/// <summary>An open document's latest text.</summary>
internal sealed record Document(string Uri, string LanguageId, int Version, string Text);

/// <summary>The documents a client has opened (full sync; a ranged change is applied as an edit).</summary>
internal sealed class DocumentStore
{
    private readonly ConcurrentDictionary<string, Document> _documents = new(StringComparer.Ordinal);

    public int Count => _documents.Count;

    public void Open(TextDocumentItem item) =>
        _documents[item.Uri] = new Document(item.Uri, item.LanguageId, item.Version, item.Text);

    /// <returns>false when the document is not open.</returns>
    public bool Change(VersionedTextDocumentIdentifier id, IEnumerable<TextDocumentContentChangeEvent> changes)
    {
        if (!_documents.TryGetValue(id.Uri, out var document)) return false;
        var text = document.Text;
        foreach (var change in changes)
            text = change.Range is null ? change.Text : Apply(text, change.Range, change.Text);
        _documents[id.Uri] = document with { Version = id.Version, Text = text };
        return true;
    }

    public bool Close(string uri) => _documents.TryRemove(uri, out _);

    public Document? Get(string uri) => _documents.GetValueOrDefault(uri);

    private static string Apply(string text, Range range, string newText)
    {
        var start = TextPositions.ToOffset(text, range.Start);
        var end = Math.Max(start, TextPositions.ToOffset(text, range.End));
        return string.Concat(text.AsSpan(0, start), newText, text.AsSpan(end));
    }
}

/// <summary>LSP positions (zero-based line, UTF-16 column) ↔ string offsets. Lines end at \n, \r\n or \r.</summary>
internal static class TextPositions
{
    public static int ToOffset(string text, Position position)
    {
        var offset = 0;
        for (var line = 0; line < position.Line; line++)
        {
            var next = text.IndexOfAny(['\n', '\r'], offset);
            if (next < 0) return text.Length;
            offset = next + (text[next] == '\r' && next + 1 < text.Length && text[next + 1] == '\n' ? 2 : 1);
        }
        var lineEnd = text.IndexOfAny(['\n', '\r'], offset);
        if (lineEnd < 0) lineEnd = text.Length;
        return Math.Min(offset + Math.Max(0, position.Character), lineEnd);
    }

    public static Position ToPosition(string text, int offset)
    {
        int line = 0, lineStart = 0;
        for (var i = 0; i < offset && i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new Position(line, offset - lineStart);
    }
}
