// Script of the Evolution panel (bundled by esbuild to media/evolution.js): the layer tabs (click,
// or arrow keys between them), a unit's row chosen to follow its concept across the run, a file
// name clicked to load that checkpoint. The chosen layer and unit are kept in the state, so a
// reload shows them again. It receives nothing from the host.

import { byId, el, embeddedState, vsCodeApi } from "../../webview/page";
import { checkpointName, parseEvolutionPanelState, type EvolutionPanelState, type EvolutionToHost } from "../evolutionMessages";

const vscode = vsCodeApi<EvolutionToHost, EvolutionPanelState>();
// The page is redrawn when a checkpoint lands: the run comes from the page as drawn, the layer and unit the user chose from the saved state.
const saved = parseEvolutionPanelState(vscode.getState());
const drawn = parseEvolutionPanelState(embeddedState());
const state =
  drawn && saved?.run === drawn.run
    ? { ...drawn, ...(saved.layer ? { layer: saved.layer } : {}), ...(saved.unit !== undefined ? { unit: saved.unit } : {}) }
    : (drawn ?? saved);
const detail = byId<HTMLElement>("evo-unit");
const tabs = [...document.querySelectorAll<HTMLButtonElement>("button.evo-tab")];

function showLayer(layer: string, focus = false): void {
  if (!state) return;
  state.layer = layer;
  vscode.setState(state);
  for (const tab of tabs) {
    const on = tab.dataset.layer === layer;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
  }
  for (const section of document.querySelectorAll<HTMLElement>("section.evo-layer")) section.hidden = section.dataset.layer !== layer;
  showUnit(state.unit);
}

/** The chosen unit's concept at each checkpoint, in words, under the tables. */
function showUnit(unit: number | undefined): void {
  if (!state || !detail) return;
  const layer = state.layer ?? state.result.layers[0] ?? "";
  for (const row of document.querySelectorAll<HTMLElement>("tr.evo-unit")) {
    const inLayer = row.closest<HTMLElement>("section.evo-layer")?.dataset.layer === layer;
    row.classList.toggle("selected", inLayer && Number(row.dataset.unit) === unit);
  }
  if (unit === undefined) {
    detail.replaceChildren();
    return;
  }
  const list = el("ol", "evo-trail");
  for (const c of state.result.checkpoints) {
    const u = c.layers.find((l) => l.layer === layer)?.unitConcepts?.find((x) => x.unit === unit);
    list.append(
      el(
        "li",
        u?.labelled ? "evo-labelled" : "muted",
        `${checkpointName(c)}: ${u ? `${u.concept} (${u.category}), IoU ${u.iou.toFixed(3)}${u.labelled ? "" : ", not a label"}` : "no concept"}`,
      ),
    );
  }
  detail.replaceChildren(el("h2", undefined, `Unit ${unit} of ${layer} across the run`), list);
}

function chooseUnit(unit: number): void {
  if (!state) return;
  state.unit = unit;
  vscode.setState(state);
  showUnit(unit);
}

for (const tab of tabs) {
  tab.addEventListener("click", () => showLayer(tab.dataset.layer ?? ""));
  tab.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(tab);
    const next = event.key === "ArrowRight" ? at + 1 : event.key === "ArrowLeft" ? at - 1 : -1;
    if (next < 0 || next >= tabs.length) return;
    event.preventDefault();
    showLayer(tabs[next]!.dataset.layer ?? "", true);
  });
}

for (const row of document.querySelectorAll<HTMLElement>("tr.evo-unit")) {
  const unit = Number(row.dataset.unit);
  row.addEventListener("click", () => chooseUnit(unit));
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      chooseUnit(unit);
    }
  });
}

for (const button of document.querySelectorAll<HTMLButtonElement>("button.evo-open")) {
  button.addEventListener("click", () => vscode.postMessage({ type: "openCheckpoint", path: button.dataset.path ?? "" }));
}

if (state) showLayer(state.layer ?? state.result.layers[0] ?? "");
