// Entry point: wires state, commands, the panel serializer and settings changes together, and
// starts the daemon so hovers work as soon as a Python or C# file is open.

import * as vscode from "vscode";
import { registerAnalysis } from "./analysisCommands";
import { registerCommands } from "./commands";
import { affectsServer } from "./config";
import { Ctx } from "./ctx";
import { DissectionPanel } from "./dissectionPanel";
import { registerEditorCommands } from "./editorCommands";
import { registerImportModel } from "./importModel";
import { createStatusBar } from "./statusBar";
import { UnitCardPanel } from "./unitCardPanel";
import { UnitMapPanel } from "./unitMapPanel";
import { registerView } from "./unitscopeView";
import { registerUnitViews } from "./visualize/registerUnitViews";

let ctx: Ctx | undefined;

/** What `activate` returns: the extension's state, for its own tests in the extension host. */
export interface UnitScopeApi {
  ctx: Ctx;
}

export function activate(context: vscode.ExtensionContext): UnitScopeApi {
  const c = new Ctx(context);
  ctx = c;
  context.subscriptions.push(
    c,
    ...registerCommands(c),
    ...registerImportModel(c),
    UnitMapPanel.registerSerializer(c),
    DissectionPanel.registerSerializer(c),
    ...registerAnalysis(c),
    ...registerUnitViews(c),
    ...registerEditorCommands(c),
    UnitCardPanel.registerSerializer(c),
    createStatusBar(c),
    registerView(c),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsServer(e)) return;
      void vscode.window
        .showInformationMessage("UnitScope: the daemon settings changed.", "Restart daemon")
        .then((choice) => {
          if (choice) void c.restart();
        });
    }),
  );
  // Quiet: opening a Python file must not nag; commands report a missing daemon when used.
  void c.client({ quiet: true });
  return { ctx: c };
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  await c?.stop();
}
