// Registration of the adversarial command and its panel's serializer (so main.ts adds them with one line).

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { attackCommand, AttackCommands } from "./attackCommand";
import { AttackPanel } from "./attackPanel";

export function registerAdversarial(ctx: Ctx): vscode.Disposable[] {
  return [vscode.commands.registerCommand(AttackCommands.attack, (arg?: unknown) => attackCommand(ctx, arg)), AttackPanel.registerSerializer(ctx)];
}
