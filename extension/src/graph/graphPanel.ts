// The explanatory graph panel. One panel at a time (a new graph replaces what it shows); it survives
// window reloads through its serializer. A node clicked on the page is answered with its patches
// from the daemon (unitscope/graphNode, from the cached graph).

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { describeFailure } from "../errors";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildGraphHtml } from "./graphHtml";
import { parseGraphNodeRequest, parseGraphPanelState, type GraphPanelState, type GraphToWebview } from "./graphMessages";

export class GraphPanel extends PanelBase<GraphToWebview> {
  private static readonly slot = new PanelSlot<GraphPanelState, GraphPanel>({
    viewType: "unitscope.graph",
    name: "explanatory graph",
    script: "graph.js",
    style: "graph.css",
    parseState: parseGraphPanelState,
  });

  static show(ctx: Ctx, state: GraphPanelState): GraphPanel {
    const existing = GraphPanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return GraphPanel.slot.open(ctx, GraphPanel.title(state), (panel) => new GraphPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return GraphPanel.slot.registerSerializer(ctx, (panel, state) => new GraphPanel(panel, ctx, state));
  }

  private static title(state: GraphPanelState): string {
    return `Explanatory graph · ${state.request.layers.join(", ")}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: GraphPanelState,
  ) {
    super(panel, ctx, GraphPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = GraphPanel.title(this.state);
    this.showPage(buildGraphHtml({ ...this.resources(), state: this.state }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, parseGraphNodeRequest);
    if (!message) return;
    const graph = { ...this.state.request, modelId: this.modelIdOf(this.state.model) };
    try {
      const result = await this.ctx.request("unitscope/graphNode", { graph, nodeId: message.nodeId });
      this.post({ type: "node", result });
    } catch (e) {
      this.post({ type: "nodeError", nodeId: message.nodeId, message: describeFailure(e).message });
    }
  }
}
