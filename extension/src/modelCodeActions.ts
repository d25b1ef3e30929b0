// The code action on `class Net(nn.Module)` lines and top-level model factories in Python files:
// "UnitScope: Import model from training code (Net)", with the definition preselected. A refactor
// kind (not a quick fix: nothing is wrong with the line), so it shows in the light bulb and in
// the Refactor… menu.

import * as vscode from "vscode";
import type { ImportTarget } from "./importModel";
import { definitionAt, findModelDefinitions, type ModelDefinition } from "./importModelSource";

const IMPORT_MODEL_COMMAND = "unitscope.importModel";

export class ModelCodeActionProvider implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.Refactor.append("unitscope").append("importModel");
  static readonly kinds = [ModelCodeActionProvider.kind];

  /** The last document scanned: the light bulb asks on every cursor move. */
  private cache: { uri: string; version: number; definitions: ModelDefinition[] } | undefined;

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !context.only.contains(ModelCodeActionProvider.kind) && !ModelCodeActionProvider.kind.contains(context.only)) return [];
    const text = document.getText();
    const key = document.uri.toString();
    if (!this.cache || this.cache.uri !== key || this.cache.version !== document.version)
      this.cache = { uri: key, version: document.version, definitions: findModelDefinitions(text) };
    const definition = definitionAt(this.cache.definitions, text, range.start.line);
    if (!definition) return [];
    const target: ImportTarget = { file: document.uri.fsPath, definition };
    const action = new vscode.CodeAction(`UnitScope: Import model from training code (${definition.name})`, ModelCodeActionProvider.kind);
    action.command = { command: IMPORT_MODEL_COMMAND, title: "Import model from training code", arguments: [target] };
    return [action];
  }
}
