// Registration of the activation maximisation, invariance, correspondence and explanatory graph commands and of their
// panels' serializers (so main.ts adds them with one line).

import * as vscode from "vscode";
import { correspondenceCommand, CorrespondenceCommands } from "../correspondence/correspondenceCommand";
import { CorrespondencePanel } from "../correspondence/correspondencePanel";
import type { Ctx } from "../ctx";
import { graphCommand, GraphCommands } from "../graph/graphCommand";
import { GraphPanel } from "../graph/graphPanel";
import { invarianceCommand, InvarianceCommands } from "../invariance/invarianceCommand";
import { InvariancePanel } from "../invariance/invariancePanel";
import { visualizeRunner, visualizeUnitCommand, VisualizeCommands } from "./visualizeCommand";
import { VisualizePanel } from "./visualizePanel";

export function registerUnitViews(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(VisualizeCommands.visualizeUnit, (arg?: unknown) => visualizeUnitCommand(ctx, arg)),
    vscode.commands.registerCommand(InvarianceCommands.invariance, (clicked?: unknown, selected?: unknown) => invarianceCommand(ctx, clicked, selected)),
    vscode.commands.registerCommand(CorrespondenceCommands.correspondence, (arg?: unknown) => correspondenceCommand(ctx, arg)),
    VisualizePanel.registerSerializer(ctx, visualizeRunner(ctx)),
    InvariancePanel.registerSerializer(ctx),
    CorrespondencePanel.registerSerializer(ctx),
    vscode.commands.registerCommand(GraphCommands.graph, (arg?: unknown) => graphCommand(ctx, arg)),
    GraphPanel.registerSerializer(ctx),
  ];
}
