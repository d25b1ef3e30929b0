// What the explanatory graph panel persists (the graph with the model and the request that made it),
// the messages between the page and the extension, and their checks. Pure: imported by the host and
// by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { ExplanatoryGraphParams, ExplanatoryGraphResult, GraphNodeInfo, GraphNodeResult } from "../protocol.generated";

export interface GraphPanelState {
  version: 1;
  model: DissectionModelRef;
  /** The request that made the graph (without its progress token): a node's patches are asked for with it. */
  request: ExplanatoryGraphParams;
  result: ExplanatoryGraphResult;
  /** The node last clicked. */
  selected?: number;
}

/** Page → extension: the patches of a node. */
export interface GraphNodeRequest {
  type: "node";
  nodeId: number;
}

/** Extension → page: a node's patches, or why there are none. */
export type GraphToWebview = { type: "node"; result: GraphNodeResult } | { type: "nodeError"; nodeId: number; message: string };

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const share = (v: unknown): v is number => finite(v) && v >= 0 && v <= 1 + 1e-9;

export function isGraphNode(n: unknown): n is GraphNodeInfo {
  return (
    isRecord(n) &&
    isIndex(n.id) &&
    isIndex(n.filter) &&
    isIndex(n.pattern) &&
    finite(n.x) &&
    finite(n.y) &&
    finite(n.spread) &&
    share(n.frequency) &&
    finite(n.meanStrength)
  );
}

/** Structural check of an ExplanatoryGraphResult. */
export function isGraphResult(x: unknown): x is ExplanatoryGraphResult {
  return (
    isRecord(x) &&
    isIndex(x.images) &&
    typeof x.dataset === "string" &&
    isBase64(x.chartPng) &&
    isIndex(x.chartWidth) &&
    isIndex(x.chartHeight) &&
    Array.isArray(x.layers) &&
    x.layers.every(
      (l) =>
        isRecord(l) &&
        isName(l.name) &&
        isIndex(l.filters) &&
        isIndex(l.height) &&
        isIndex(l.width) &&
        share(l.explained) &&
        Array.isArray(l.nodes) &&
        l.nodes.every(isGraphNode) &&
        Array.isArray(l.edges) &&
        l.edges.every((e) => isRecord(e) && isIndex(e.child) && isIndex(e.parent) && share(e.weight) && finite(e.dx) && finite(e.dy)) &&
        Array.isArray(l.byGroup) &&
        l.byGroup.every((g) => isRecord(g) && isName(g.group) && share(g.share)) &&
        (l.labelSource === undefined || l.labelSource === null || typeof l.labelSource === "string"),
    )
  );
}

function isGraphRequest(x: unknown): x is ExplanatoryGraphParams {
  return isRecord(x) && typeof x.modelId === "string" && Array.isArray(x.layers) && x.layers.every(isName);
}

export function parseGraphPanelState(raw: unknown): GraphPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isGraphRequest(raw.request) || !isGraphResult(raw.result)) return undefined;
  const selected = isIndex(raw.selected) ? raw.selected : undefined;
  return { version: 1, model: raw.model, request: raw.request, result: raw.result, ...(selected !== undefined ? { selected } : {}) };
}

export function parseGraphNodeRequest(raw: unknown): GraphNodeRequest | undefined {
  return isRecord(raw) && raw.type === "node" && isIndex(raw.nodeId) ? { type: "node", nodeId: raw.nodeId } : undefined;
}

export function parseGraphToWebview(raw: unknown): GraphToWebview | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.type === "nodeError" && isIndex(raw.nodeId) && typeof raw.message === "string")
    return { type: "nodeError", nodeId: raw.nodeId, message: raw.message };
  if (raw.type !== "node" || !isRecord(raw.result)) return undefined;
  const r = raw.result;
  if (!isName(r.layer) || !isGraphNode(r.node) || !Array.isArray(r.patches)) return undefined;
  const ok = r.patches.every((p) => isRecord(p) && typeof p.image === "string" && finite(p.x) && finite(p.y) && finite(p.strength) && isBase64(p.patchPng));
  return ok ? { type: "node", result: raw.result as unknown as GraphNodeResult } : undefined;
}
