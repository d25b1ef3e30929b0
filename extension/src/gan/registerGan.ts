// Registration of the GAN command and its panel's serializer (so main.ts adds them with one line).

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { ganDissectCommand, GanCommands } from "./ganCommand";
import { GanPanel } from "./ganPanel";

export function registerGan(ctx: Ctx): vscode.Disposable[] {
  return [vscode.commands.registerCommand(GanCommands.ganDissect, (arg?: unknown) => ganDissectCommand(ctx, arg)), GanPanel.registerSerializer(ctx)];
}
