// Entry point: wires state, commands, the panel serializer and settings changes together, and
// starts the daemon so hovers work as soon as a Python or C# file is open.

import * as vscode from "vscode";
import { runAblation } from "./ablate";
import { registerAnalysis } from "./analysisCommands";
import { registerCommands } from "./commands";
import { affectsServer, readSettings } from "./config";
import { Ctx, serverSettingsKey } from "./ctx";
import { registerDaemonInstall } from "./daemonInstallRun";
import { DissectionPanel } from "./dissectionPanel";
import { registerEditorCommands } from "./editorCommands";
import { registerEvolution } from "./evolution/evolutionCommand";
import { RunFollowing } from "./evolution/runFollowing";
import { registerImportModel } from "./importModel";
import { createStatusBar } from "./statusBar";
import { UnitCardPanel } from "./unitCardPanel";
import { UnitMapPanel } from "./unitMapPanel";
import { registerView } from "./unitscopeView";
import { registerUnitViews } from "./visualize/registerUnitViews";
import { registerAdversarial } from "./adversarial/registerAdversarial";
import { registerGan } from "./gan/registerGan";

let ctx: Ctx | undefined;

/** What `activate` returns: the extension's state and an analysis without pickers, for its own tests in the extension host. */
export interface UnitScopeApi {
  ctx: Ctx;
  runAblation: typeof runAblation;
}

export function activate(context: vscode.ExtensionContext): UnitScopeApi {
  const c = new Ctx(context);
  ctx = c;
  const following = new RunFollowing(c);
  context.subscriptions.push(
    c,
    following,
    ...registerCommands(c),
    ...registerDaemonInstall(c),
    ...registerImportModel(c),
    UnitMapPanel.registerSerializer(c),
    DissectionPanel.registerSerializer(c),
    ...registerAnalysis(c),
    ...registerUnitViews(c),
    ...registerAdversarial(c),
    ...registerGan(c),
    ...registerEvolution(c, following),
    ...registerEditorCommands(c),
    UnitCardPanel.registerSerializer(c),
    createStatusBar(c),
    registerView(c, following),
    restartOnServerSettings(c),
  );
  // Quiet: opening a Python file must not nag; commands report a missing daemon when used. (A daemon that
  // is not installed is said once, with the offer to install it.)
  void c.client({ quiet: true });
  return { ctx: c, runAblation };
}

/**
 * A changed daemon setting (how it is started or reached, its cache, limits, dataset) restarts the
 * daemon by itself, its models reloaded; only when analyses are running does it ask first, since a
 * restart stops them. Changes made together (one save of settings.json) restart it once.
 */
function restartOnServerSettings(c: Ctx): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const restart = async () => {
    timer = undefined;
    // Already running with these settings (the change was undone, or someone restarted it meanwhile).
    if (c.serverSettingsInUse === serverSettingsKey(readSettings().settings)) return;
    const running = c.jobs.all.length;
    if (running > 0) {
      const choice = await vscode.window.showInformationMessage(
        `UnitScope: the daemon settings changed. Restarting the daemon stops the ${running === 1 ? "analysis" : `${running} analyses`} running.`,
        "Restart now",
      );
      if (!choice) return;
    }
    c.output.info("The daemon settings changed: restarting the daemon.");
    if (await c.restart()) vscode.window.setStatusBarMessage("UnitScope: the daemon restarted with the new settings.", 5_000);
  };
  const listener = vscode.workspace.onDidChangeConfiguration((e) => {
    if (!affectsServer(e)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void restart(), 1_000);
  });
  return { dispose: () => (timer && clearTimeout(timer), listener.dispose()) };
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  await c?.stop();
}
