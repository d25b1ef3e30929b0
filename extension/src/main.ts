// Entry point: wires state, commands, the panel serializer and settings changes together, and
// starts the daemon so hovers work as soon as a Python or C# file is open.

import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { affectsServer } from "./config";
import { Ctx } from "./ctx";
import { DissectionPanel } from "./dissectionPanel";
import { UnitMapPanel } from "./unitMapPanel";

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const c = new Ctx(context);
  ctx = c;
  context.subscriptions.push(
    c,
    ...registerCommands(c),
    UnitMapPanel.registerSerializer(c),
    DissectionPanel.registerSerializer(c),
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
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  await c?.stop();
}
