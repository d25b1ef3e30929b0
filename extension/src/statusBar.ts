// The status bar item: the daemon's state and the active model; a click opens the UnitScope menu
// (switch model, load a checkpoint, restart the daemon, show the log).

import * as path from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { statusView } from "./statusText";

export const MENU_COMMAND = "unitscope.showMenu";

export function createStatusBar(ctx: Ctx): vscode.Disposable {
  const item = vscode.window.createStatusBarItem("unitscope.status", vscode.StatusBarAlignment.Left, 10);
  item.name = "UnitScope";
  item.command = MENU_COMMAND;
  const update = () => {
    const view = statusView(ctx.status, ctx.activeModel, ctx.loadedModels.length, ctx.statusMessage, ctx.jobs.all.length);
    item.text = view.text;
    item.tooltip = new vscode.MarkdownString(view.tooltip);
    item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    item.accessibilityInformation = { label: `UnitScope: ${view.text.replace(/\$\([^)]*\)\s*/g, "")}`, role: "button" };
  };
  update();
  item.show();
  const jobs = ctx.jobs.onDidChange(update);
  return vscode.Disposable.from(item, ctx.onDidChangeStatus(update), ctx.onDidChangeModels(update), { dispose: () => jobs.dispose() });
}

/** The menu behind the status bar item. */
export async function showMenu(ctx: Ctx): Promise<void> {
  type Item = vscode.QuickPickItem & { run: () => unknown };
  const active = ctx.activeModel;
  const items: Item[] = [];
  const models = ctx.loadedModels;
  if (models.length > 0) {
    items.push({ label: "Models", kind: vscode.QuickPickItemKind.Separator, run: () => undefined });
    for (const m of models) {
      const isActive = m.info.modelId === active?.modelId;
      items.push({
        label: `${isActive ? "$(check)" : "$(circuit-board)"} ${path.basename(m.info.path)}`,
        description: `${m.info.architecture} · ${m.info.device}${isActive ? " · active" : ""}`,
        detail: m.info.path,
        run: () => (isActive ? undefined : vscode.commands.executeCommand("unitscope.switchModel", { modelId: m.info.modelId })),
      });
    }
    items.push({ label: "", kind: vscode.QuickPickItemKind.Separator, run: () => undefined });
  }
  items.push(
    { label: "$(folder-opened) Load checkpoint…", run: () => vscode.commands.executeCommand("unitscope.loadCheckpoint") },
    { label: "$(debug-restart) Restart daemon", description: ctx.status, run: () => vscode.commands.executeCommand("unitscope.restartDaemon") },
    { label: "$(output) Show log", run: () => ctx.output.show(true) },
  );
  const picked = await vscode.window.showQuickPick(items, {
    title: "UnitScope",
    placeHolder: active ? `Active: ${path.basename(active.path)}` : "No model loaded",
  });
  await picked?.run();
}
