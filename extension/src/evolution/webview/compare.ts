// Script of the Compare panel (bundled by esbuild to media/compare.js): a layer's row chosen (click,
// or Enter) lists its units matched across the two checkpoints, the pairs that moved most (lowest
// correlation) first. The chosen layer is kept in the state, so a reload shows it again. It
// receives nothing from the host and sends nothing.

import { byId, el, embeddedState, vsCodeApi } from "../../webview/page";
import { parseComparePanelState, type ComparePanelState } from "../evolutionMessages";

const vscode = vsCodeApi<never, ComparePanelState>();
const state = parseComparePanelState(vscode.getState()) ?? parseComparePanelState(embeddedState());
const matches = byId<HTMLElement>("cmp-matches");

function cell(text: string, className?: string): HTMLTableCellElement {
  return el("td", className, text);
}

function chooseLayer(layer: string): void {
  if (!state || !matches) return;
  const change = state.result.layers.find((l) => l.layer === layer);
  if (!change) return;
  state.layer = layer;
  vscode.setState(state);
  for (const row of document.querySelectorAll<HTMLElement>("tr.cmp-layer")) row.classList.toggle("selected", row.dataset.layer === layer);
  const sorted = [...change.matches].sort((a, b) => (a.correlation ?? Number.NEGATIVE_INFINITY) - (b.correlation ?? Number.NEGATIVE_INFINITY));
  const table = el("table", "summary cmp-pairs");
  const head = el("tr");
  for (const h of ["Unit A", "Unit B", "Correlation", "Label A", "Label B", "Label changed"]) {
    const th = el("th", undefined, h);
    th.scope = "col";
    head.append(th);
  }
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const m of sorted) {
    const row = el("tr", m.unitA === m.unitB ? undefined : "cmp-moved");
    row.append(
      cell(String(m.unitA)),
      cell(String(m.unitB)),
      cell(m.correlation === undefined || m.correlation === null ? "–" : m.correlation.toFixed(3)),
      cell(m.labelA ?? "–", m.labelA ? undefined : "muted"),
      cell(m.labelB ?? "–", m.labelB ? undefined : "muted"),
      cell(m.labelChanged === undefined || m.labelChanged === null ? "–" : m.labelChanged ? "yes" : "no", m.labelChanged ? "cmp-changed" : undefined),
    );
    body.append(row);
  }
  const moved = change.matches.length - change.matchedToSameIndex;
  matches.replaceChildren(
    el("h2", undefined, `${layer}: ${change.matches.length} units matched`),
    el("p", "muted", `${moved} matched to another index; the pairs with the lowest correlation (what moved most) first.`),
    table,
  );
}

for (const row of document.querySelectorAll<HTMLElement>("tr.cmp-layer")) {
  const layer = row.dataset.layer ?? "";
  row.addEventListener("click", () => chooseLayer(layer));
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      chooseLayer(layer);
    }
  });
}

if (state) {
  vscode.setState(state);
  const first = state.layer ?? state.result.rankedByChange[0];
  if (first) chooseLayer(first);
}
