// Registration of the occlusion and ablation commands and of their panels' serializers (kept apart
// from commands.ts so main.ts adds them with one line).

import * as vscode from "vscode";
import { ablateUnitsCommand } from "./ablate";
import { AblationPanel } from "./ablationPanel";
import type { Ctx } from "./ctx";
import { occlusionCommand, occlusionRunner } from "./occlusion";
import { OcclusionPanel } from "./occlusionPanel";
import { rankUnitsCommand } from "./rank";
import { RankPanel } from "./rankPanel";
import { galleryRunner, unitGalleryCommand } from "./seeing/gallery";
import { GalleryPanel } from "./seeing/galleryPanel";

export const AnalysisCommands = {
  occlusionHeatmap: "unitscope.occlusionHeatmap",
  ablateUnits: "unitscope.ablateUnits",
  rankUnits: "unitscope.rankUnits",
  unitGallery: "unitscope.unitGallery",
} as const;

export function registerAnalysis(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(AnalysisCommands.occlusionHeatmap, (arg?: unknown) => occlusionCommand(ctx, arg)),
    vscode.commands.registerCommand(AnalysisCommands.ablateUnits, (arg?: unknown) => ablateUnitsCommand(ctx, arg)),
    vscode.commands.registerCommand(AnalysisCommands.rankUnits, (arg?: unknown) => rankUnitsCommand(ctx, arg)),
    OcclusionPanel.registerSerializer(ctx, occlusionRunner(ctx)),
    AblationPanel.registerSerializer(ctx),
    RankPanel.registerSerializer(ctx),
    vscode.commands.registerCommand(AnalysisCommands.unitGallery, (arg?: unknown) => unitGalleryCommand(ctx, arg)),
    GalleryPanel.registerSerializer(ctx, galleryRunner(ctx)),
  ];
}
