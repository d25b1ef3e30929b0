using System.Text.Json;

namespace UnitScope.Protocol;

// LSP code lenses (textDocument/codeLens): the daemon puts one row of lenses above each layer
// definition it resolves in the source ("37/64 units labelled · dissect · ablate").

/// <param name="ResolveProvider">Always false: lenses come complete.</param>
public sealed record CodeLensOptions(bool ResolveProvider = false);

public sealed record CodeLensParams(TextDocumentIdentifier TextDocument);

/// <summary>An LSP <c>Command</c>: a title and the client command it runs (empty: the lens is only text).</summary>
/// <param name="Command">The client's command id, e.g. <c>unitscope.dissectLayer</c>.</param>
/// <param name="Arguments">Passed to the command; UnitScope's take one object <c>{ modelId, layer }</c> or <c>{ modelId, layers }</c>.</param>
public sealed record LspCommand(string Title, string Command, IReadOnlyList<JsonElement>? Arguments = null);

/// <summary>A lens over <c>range</c> (its line).</summary>
public sealed record CodeLens(Range Range, LspCommand? Command = null, JsonElement? Data = null);
