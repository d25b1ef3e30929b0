// The explanatory graph webview's HTML: the graph layer by layer (one square per layer, the model's
// input frame; nodes at their mean positions sized by firing frequency, a line to each node's
// strongest parent, more opaque for a larger weight), how much of each layer the nodes explain, and a
// place for the clicked node's patches. Pure (no `vscode` import).

import { escapeHtml, panelPage, type PageResources } from "../panelHtml";
import type { GraphLayerInfo } from "../protocol.generated";
import type { GraphPanelState } from "./graphMessages";

export interface GraphHtmlInput extends PageResources {
  state: GraphPanelState;
}

/** Tableau's ten colours, by filter mod 10 (as the daemon's figure). */
export const FILTER_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const n3 = (v: number) => (v * 100).toFixed(2);

function layerSvg(layer: GraphLayerInfo, selected: number | undefined): string {
  const byId = new Map(layer.nodes.map((n) => [n.id, n]));
  const strongest = new Map<number, { parent: number; weight: number; dx: number; dy: number }>();
  for (const e of layer.edges) if ((strongest.get(e.child)?.weight ?? -1) < e.weight) strongest.set(e.child, e);
  const lines = [...strongest.entries()]
    .map(([child, e]) => {
      const c = byId.get(child);
      if (!c) return "";
      return `<line x1="${n3(c.x)}" y1="${n3(c.y)}" x2="${n3(c.x - e.dx)}" y2="${n3(c.y - e.dy)}" stroke-opacity="${(0.15 + 0.85 * e.weight).toFixed(2)}" class="graph-edge"/>`;
    })
    .join("");
  const circles = [...layer.nodes]
    .sort((a, b) => b.frequency - a.frequency)
    .map(
      (n) =>
        `<circle class="graph-node${n.id === selected ? " selected" : ""}" data-node="${n.id}" tabindex="0" role="button" cx="${n3(n.x)}" cy="${n3(n.y)}" r="${(0.8 + 4 * n.frequency).toFixed(2)}" fill="${FILTER_COLOURS[n.filter % 10]}"><title>node ${n.id}: filter ${n.filter}, pattern ${n.pattern}, fires on ${pct(n.frequency)} of the images</title></circle>`,
    )
    .join("");
  return `<svg class="graph-svg" viewBox="0 0 100 100" role="group" aria-label="${escapeHtml(layer.name)}: ${layer.nodes.length} nodes"><rect class="graph-frame" x="0" y="0" width="100" height="100"/>${lines}${circles}</svg>`;
}

export function buildGraphHtml(input: GraphHtmlInput): string {
  const e = escapeHtml;
  const { result: r, request, selected } = input.state;
  const groups = r.layers[0]?.byGroup.map((g) => g.group) ?? [];
  const rows = r.layers
    .map(
      (l) =>
        `<tr><th scope="row">${e(l.name)}</th><td>${l.nodes.length}</td><td>${l.edges.length}</td><td>${pct(l.explained)}</td>${l.byGroup.map((g) => `<td>${pct(g.share)}</td>`).join("")}<td>${pct(1 - l.explained)}</td><td class="muted">${e(l.labelSource ?? "not dissected")}</td></tr>`,
    )
    .join("");
  const panels = r.layers
    .map(
      (l) =>
        `<figure class="graph-layer"><figcaption><strong>${e(l.name)}</strong> <span class="muted">${l.nodes.length} nodes of ${new Set(l.nodes.map((n) => n.filter)).size}/${l.filters} filters, explains ${pct(l.explained)}</span></figcaption>${layerSvg(l, selected)}</figure>`,
    )
    .join("");
  return panelPage(
    input,
    `Explanatory graph · ${request.layers.join(", ")}`,
    `<header class="head">
<h1>Explanatory graph <span class="model">${e(request.layers.join(" → "))} · ${e(input.state.model.modelLabel)}</span></h1>
<p class="meta">${r.images} images of ${e(r.dataset)}${r.cached ? " · from the cache" : ""}. Each layer in the model's input frame, top layer first: a node is a part pattern of one filter at its mean position, sized by how often it fires, coloured by filter; its line points to its strongest parent in the layer above (more opaque: a larger weight). Click a node (or press Enter on it) for the patches where it fires.</p>
</header>
<div class="graph-layers">${panels}</div>
<section id="graph-node" class="graph-node-detail" aria-live="polite"><p class="muted">No node chosen.</p></section>
<table class="summary">
<thead><tr><th scope="col">Layer</th><th scope="col">Nodes</th><th scope="col">Edges</th><th scope="col">Explained</th>${groups.map((g) => `<th scope="col">${e(g)}</th>`).join("")}<th scope="col">Unexplained</th><th scope="col">Labels from</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
    input.state,
  );
}
