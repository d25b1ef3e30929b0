// Script of the explanatory graph webview (bundled by esbuild to media/graph.js): a click (or Enter)
// on a node asks the extension for its patches and shows them with the node's position; the chosen
// node is kept in the state, so a reload shows it again.

import { byId, el, embeddedState, listenToHost, vsCodeApi } from "../../webview/page";
import { parseGraphPanelState, parseGraphToWebview, type GraphNodeRequest, type GraphPanelState } from "../graphMessages";

const vscode = vsCodeApi<GraphNodeRequest, GraphPanelState>();
const state = parseGraphPanelState(vscode.getState()) ?? parseGraphPanelState(embeddedState());
const detail = byId<HTMLElement>("graph-node");

function choose(nodeId: number): void {
  if (!state) return;
  state.selected = nodeId;
  vscode.setState(state);
  for (const c of document.querySelectorAll<SVGCircleElement>("circle.graph-node")) c.classList.toggle("selected", Number(c.dataset.node) === nodeId);
  detail?.replaceChildren(el("p", "muted", `Node ${nodeId}: asking for its patches…`));
  vscode.postMessage({ type: "node", nodeId });
}

for (const circle of document.querySelectorAll<SVGCircleElement>("circle.graph-node")) {
  const id = Number(circle.dataset.node);
  circle.addEventListener("click", () => choose(id));
  circle.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      choose(id);
    }
  });
}

listenToHost<unknown>(vscode, (data) => {
  const message = parseGraphToWebview(data);
  if (!message || !detail) return;
  if (message.type === "nodeError") {
    detail.replaceChildren(el("p", "error", `Node ${message.nodeId}: ${message.message}`));
    return;
  }
  const { layer, node, patches } = message.result;
  const head = el(
    "p",
    undefined,
    `Node ${node.id} of ${layer}: filter ${node.filter}, pattern ${node.pattern}; mean position (${(node.x * 100).toFixed(0)}%, ${(node.y * 100).toFixed(0)}%) of the input's width and height, ` +
      `spread ${(node.spread * 100).toFixed(1)}%; fires on ${(node.frequency * 100).toFixed(0)}% of the images.`,
  );
  const strip = el("div", "graph-patches");
  for (const p of patches) {
    const figure = el("figure", "graph-patch");
    const img = el("img");
    img.src = `data:image/png;base64,${p.patchPng}`;
    img.alt = `Where node ${node.id} fires in ${p.image}`;
    figure.append(img, el("figcaption", "muted", `${p.image.split(/[\\/]/).pop() ?? p.image} · ${p.strength.toPrecision(3)}`));
    strip.append(figure);
  }
  detail.replaceChildren(head, patches.length ? strip : el("p", "muted", "It fires on none of the images."));
});

if (state) {
  vscode.setState(state);
  if (state.selected !== undefined) choose(state.selected);
}
