using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

// The subset of the Language Server Protocol the daemon speaks. Property names follow the LSP
// specification; unknown properties sent by a client are ignored.

/// <summary>Zero-based line and UTF-16 character offset.</summary>
public sealed record Position(int Line, int Character);

/// <summary>End exclusive.</summary>
public sealed record Range(Position Start, Position End);

public sealed record ClientInfo(string Name, string? Version = null);

/// <param name="Capabilities">The client's capabilities, as sent; the daemon reads only <c>window.workDoneProgress</c>.</param>
public sealed record InitializeParams(
    int? ProcessId = null,
    string? RootUri = null,
    ClientInfo? ClientInfo = null,
    JsonElement? Capabilities = null,
    InitializationOptions? InitializationOptions = null);

/// <summary>UnitScope's <c>initializationOptions</c>.</summary>
/// <param name="Token">Required on TCP connections (<c>unitscope serve --tcp PORT</c>, the token from its <c>--token-file</c> or <c>UNITSCOPE_TOKEN</c>); ignored on stdio.</param>
/// <param name="Dataset">The dissection dataset this client's hovers, code lenses and <c>isDefault</c> refer to: "probe" (default) or a Broden-format folder.</param>
public sealed record InitializationOptions(
    string? Token = null,
    string? Dataset = null);

/// <summary>How documents are synced. The daemon asks for <see cref="Full"/>.</summary>
public enum TextDocumentSyncKind
{
    None = 0,
    Full = 1,
    Incremental = 2,
}

/// <param name="CodeLensProvider">Present: the daemon serves <c>textDocument/codeLens</c>.</param>
public sealed record ServerCapabilities(bool HoverProvider, TextDocumentSyncKind TextDocumentSync, CodeLensOptions? CodeLensProvider = null);

public sealed record ServerInfo(string Name, string? Version = null);

public sealed record InitializeResult(ServerCapabilities Capabilities, ServerInfo? ServerInfo = null);

/// <summary>The <c>initialized</c> notification's (empty) params.</summary>
public sealed record InitializedParams;

/// <summary><c>$/cancelRequest</c>: the id of the request to cancel (number or string).</summary>
public sealed record CancelParams(JsonElement Id);

/// <summary>
/// <c>$/progress</c> (daemon → client): <c>value</c> is a work-done progress record
/// (<see cref="WorkDoneProgressBegin"/>, <see cref="WorkDoneProgressReport"/>, <see cref="WorkDoneProgressEnd"/>)
/// on a work-done token, or a partial result (the request's result type) on a partial-result token.
/// </summary>
/// <param name="Token">The progress token (integer or string) the client sent or the daemon created.</param>
public sealed record ProgressParams(JsonElement Token, JsonElement Value);

/// <summary>The first <c>$/progress</c> value of a work-done token.</summary>
/// <param name="Cancellable">The client may cancel: <c>$/cancelRequest</c> for the request, or <c>window/workDoneProgress/cancel</c> for a token the daemon created.</param>
/// <param name="Percentage">0–100.</param>
public sealed record WorkDoneProgressBegin(string Title, bool? Cancellable = null, string? Message = null, int? Percentage = null)
{
    /// <summary>Always "begin".</summary>
    public string Kind { get; init; } = "begin";
}

/// <param name="Percentage">0–100, never decreasing.</param>
public sealed record WorkDoneProgressReport(string? Message = null, int? Percentage = null, bool? Cancellable = null)
{
    /// <summary>Always "report".</summary>
    public string Kind { get; init; } = "report";
}

/// <summary>The last <c>$/progress</c> value of a work-done token (sent whether the work succeeded, failed or was cancelled).</summary>
public sealed record WorkDoneProgressEnd(string? Message = null)
{
    /// <summary>Always "end".</summary>
    public string Kind { get; init; } = "end";
}

/// <summary><c>window/workDoneProgress/create</c> (daemon → client): asks the client to show progress for a token the daemon chose.</summary>
public sealed record WorkDoneProgressCreateParams(JsonElement Token);

/// <summary><c>window/workDoneProgress/cancel</c> (client → daemon): the user cancelled the work behind a token the daemon created.</summary>
public sealed record WorkDoneProgressCancelParams(JsonElement Token);

public sealed record TextDocumentItem(string Uri, string LanguageId, int Version, string Text);

public sealed record TextDocumentIdentifier(string Uri);

public sealed record VersionedTextDocumentIdentifier(string Uri, int Version);

/// <summary>With full sync only <c>text</c> is sent; a <c>range</c>, when present, replaces that span.</summary>
public sealed record TextDocumentContentChangeEvent(string Text, Range? Range = null);

public sealed record DidOpenTextDocumentParams(TextDocumentItem TextDocument);

public sealed record DidChangeTextDocumentParams(
    VersionedTextDocumentIdentifier TextDocument,
    IReadOnlyList<TextDocumentContentChangeEvent> ContentChanges);

public sealed record DidCloseTextDocumentParams(TextDocumentIdentifier TextDocument);

public sealed record HoverParams(TextDocumentIdentifier TextDocument, Position Position);

[JsonConverter(typeof(JsonStringEnumConverter<MarkupKind>))]
public enum MarkupKind
{
    [JsonStringEnumMemberName("plaintext")] PlainText,
    [JsonStringEnumMemberName("markdown")] Markdown,
}

public sealed record MarkupContent(MarkupKind Kind, string Value);

public sealed record Hover(MarkupContent Contents, Range? Range = null);
