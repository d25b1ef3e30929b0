// What the status bar item says for each daemon state. Pure: the item itself lives in statusBar.ts.

import * as path from "node:path";
import type { DaemonStatus } from "./ctx";
import type { ModelInfo } from "./protocol.generated";

export interface StatusView {
  /** With codicons: "$(circuit-board) smallcnn.pth". */
  text: string;
  /** Markdown. */
  tooltip: string;
  /** A theme colour id for the background, for states that need attention. */
  background?: "statusBarItem.warningBackground" | "statusBarItem.errorBackground";
}

export function statusView(status: DaemonStatus, model: ModelInfo | undefined, modelCount: number, message?: string, jobs = 0): StatusView {
  const busy = jobs > 0 ? ` $(sync~spin) ${jobs}` : "";
  const hint = "\n\nClick: switch model, load a checkpoint, restart the daemon, show the log.";
  switch (status) {
    case "starting":
      return { text: "$(loading~spin) UnitScope", tooltip: `**UnitScope**: the daemon is starting…${hint}` };
    case "ready": {
      if (!model) return { text: `$(circuit-board) UnitScope: no model${busy}`, tooltip: `**UnitScope**: the daemon is ready; no model is loaded.${hint}` };
      const name = path.basename(model.path);
      const others = modelCount > 1 ? ` (+${modelCount - 1})` : "";
      const tooltip =
        `**UnitScope**: the daemon is ready.\n\n` +
        `Active model: \`${name}\` — ${model.architecture}, ${model.layers.length} layers, on ${model.device}` +
        (modelCount > 1 ? `\n\n${modelCount} models loaded.` : "") +
        hint;
      return { text: `$(circuit-board) ${name}${others}${busy}`, tooltip };
    }
    case "crashed":
      return {
        text: "$(warning) UnitScope: restarting",
        tooltip: `**UnitScope**: ${message ?? "the daemon crashed"} Restarting it and reloading its models.${hint}`,
        background: "statusBarItem.warningBackground",
      };
    case "failed":
      return {
        text: "$(error) UnitScope: stopped",
        tooltip: `**UnitScope**: ${message ?? "the daemon is not running."}${hint}`,
        background: "statusBarItem.errorBackground",
      };
    case "stopped":
      return { text: "$(debug-stop) UnitScope: stopped", tooltip: `**UnitScope**: the daemon is not running.${hint}` };
  }
}
