// Script of the unit card webview (bundled by esbuild to media/unitCard.js). The HTML arrives fully
// rendered from unitCardHtml.ts; this script persists the state for the serializer, turns buttons
// into typed messages, and swaps in the card image when the extension sends it.

import { isBase64 } from "../guards";
import { parseUnitCardPanelState, type HostToUnitCard, type UnitCardPanelState, type UnitCardToHost } from "../unitCardMessages";
import { byId, embeddedState, unitButtons, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<UnitCardToHost, UnitCardPanelState>();

const state = parseUnitCardPanelState(embeddedState());
if (state) vscode.setState(state);

unitButtons((unit) => vscode.postMessage({ type: "showUnit", unit }));
byId("unit-map")?.addEventListener("click", () => vscode.postMessage({ type: "unitMap" }));
byId("ablate")?.addEventListener("click", () => vscode.postMessage({ type: "ablate" }));
byId("open-dissection")?.addEventListener("click", () => vscode.postMessage({ type: "openDissection" }));
byId("visualize")?.addEventListener("click", () => vscode.postMessage({ type: "visualize" }));
byId("gallery")?.addEventListener("click", () => vscode.postMessage({ type: "gallery" }));

// Arrow keys move between units when no control has focus.
document.addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "ArrowLeft") byId<HTMLButtonElement>("prev")?.click();
  else if (e.key === "ArrowRight") byId<HTMLButtonElement>("next")?.click();
});

const status = byId<HTMLParagraphElement>("status");

listenToHost<HostToUnitCard>(vscode, (m) => {
  if (!state) return;
  switch (m?.type) {
    case "cardError": {
      const p = byId("card-status");
      if (p) p.textContent = String(m.message);
      break;
    }
    case "optimised": {
      if (m.unit !== state.view.unit.unit || !isBase64(m.png)) return;
      const img = document.createElement("img");
      img.src = `data:image/png;base64,${m.png}`;
      // Enlarged by a whole factor (to about 128 pixels) with sharp pixels.
      const scale = Math.max(1, Math.floor(128 / Math.max(1, m.width, m.height)));
      img.width = m.width * scale;
      img.height = m.height * scale;
      img.alt = `Image optimised to excite unit ${m.unit} of ${state.view.layer}`;
      byId("optimised-frame")?.replaceChildren(img);
      break;
    }
    case "projections": {
      if (m.unit !== state.view.unit.unit) return;
      byId("projections-frame")?.replaceChildren(projectionGrid(m, state.view.layer));
      break;
    }
    case "busy":
      if (status) {
        status.textContent = String(m.text);
        status.className = "status";
      }
      break;
  }
});

/** Zeiler & Fergus figure 2's two right-hand columns for one unit: each strongest activation's patch above its
 * projection, enlarged by a whole factor to about 64 pixels. */
function projectionGrid(m: Extract<HostToUnitCard, { type: "projections" }>, layer: string): HTMLElement {
  const list = document.createElement("ol");
  list.className = "projection-grid";
  m.items.forEach((item, i) => {
    if (!isBase64(item.patchPng) || !isBase64(item.projectionPng)) return;
    const scale = Math.max(1, Math.floor(64 / Math.max(1, item.width, item.height)));
    const li = document.createElement("li");
    for (const [png, what] of [
      [item.patchPng, "patch"],
      [item.projectionPng, `${m.method} projection`],
    ] as const) {
      const img = document.createElement("img");
      img.src = `data:image/png;base64,${png}`;
      img.width = item.width * scale;
      img.height = item.height * scale;
      img.alt = `Activation ${i + 1} of unit ${m.unit} of ${layer} (${item.value.toPrecision(3)}): ${what}`;
      li.append(img);
    }
    list.append(li);
  });
  const caption = document.createElement("p");
  caption.className = "muted";
  caption.textContent = `The ${m.items.length} strongest over ${m.images} images: each patch under the receptive field, and below it its ${m.method} projection to the pixels.`;
  const box = document.createElement("div");
  box.append(caption, list);
  return box;
}
