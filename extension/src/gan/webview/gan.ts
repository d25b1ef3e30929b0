// Script of the GAN panel (bundled by esbuild to media/gan.js): choosing a sample to paint on (click, or
// Enter/Space on it), a concept (its row, or the select), how many of its top units, and a rectangle
// dragged on the sample (or typed); "Ablate" and "Insert in region" ask the extension to intervene, which
// re-renders the page with the result. Every choice is kept in the state, so a reload shows it again.

import { byId, embeddedState, listenToHost, vsCodeApi } from "../../webview/page";
import {
  MAX_CONCEPT_UNITS,
  mergeGanStates,
  parseGanPanelState,
  parseGanToWebview,
  regionFromDrag,
  type GanEditRequest,
  type GanPanelState,
} from "../ganMessages";
import type { GanRegion } from "../../protocol.generated";

const vscode = vsCodeApi<GanEditRequest, GanPanelState>();
const state = mergeGanStates(parseGanPanelState(embeddedState()), parseGanPanelState(vscode.getState()));
const canvas = byId<HTMLDivElement>("gan-canvas");
const paint = byId<HTMLImageElement>("gan-paint");
const rect = byId<HTMLDivElement>("gan-rect");
const status = byId<HTMLElement>("gan-status");
const conceptSelect = byId<HTMLSelectElement>("gan-concept");
const unitsInput = byId<HTMLInputElement>("gan-units");
const ablate = byId<HTMLButtonElement>("gan-ablate");
const insert = byId<HTMLButtonElement>("gan-insert");
const clear = byId<HTMLButtonElement>("gan-clear");
const inputs = (["x0", "y0", "x1", "y1"] as const).map((k) => [k, byId<HTMLInputElement>(`gan-${k}`)] as const);

const width = Number(canvas?.dataset.width ?? 0);
const height = Number(canvas?.dataset.height ?? 0);
const scale = Number(canvas?.dataset.scale ?? 1);
// Sizes set through the CSSOM: the page's CSP allows no inline style attributes.
if (canvas) {
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
}

function save(): void {
  if (state) vscode.setState(state);
}

function say(text: string, error = false): void {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("error", error);
}

function maxUnits(): number {
  const concept = state?.dissection.concepts.find((c) => c.concept === state.ui.concept);
  return concept ? concept.units.length : MAX_CONCEPT_UNITS;
}

function showRegion(region: GanRegion | undefined): void {
  if (!state) return;
  if (region) state.ui.region = region;
  else delete state.ui.region;
  if (rect) {
    rect.hidden = !region;
    if (region) {
      rect.style.left = `${region.x0 * scale}px`;
      rect.style.top = `${region.y0 * scale}px`;
      rect.style.width = `${(region.x1 - region.x0) * scale}px`;
      rect.style.height = `${(region.y1 - region.y0) * scale}px`;
    }
  }
  for (const [k, input] of inputs) if (input) input.value = region ? String(region[k]) : "";
  if (insert) insert.disabled = !region;
  if (clear) clear.disabled = !region;
  save();
}

function chooseConcept(concept: string): void {
  if (!state) return;
  const known = state.dissection.concepts.find((c) => c.concept === concept);
  if (known) state.ui.concept = known.concept;
  else delete state.ui.concept;
  for (const row of document.querySelectorAll<HTMLTableRowElement>("tr.gan-concept")) {
    const on = row.dataset.concept === state.ui.concept;
    row.classList.toggle("selected", on);
    row.setAttribute("aria-selected", String(on));
  }
  if (conceptSelect) conceptSelect.value = state.ui.concept ?? "";
  if (unitsInput) {
    unitsInput.max = String(maxUnits());
    if (state.ui.units > maxUnits()) {
      state.ui.units = maxUnits();
      unitsInput.value = String(state.ui.units);
    }
  }
  save();
}

function chooseSample(index: number): void {
  if (!state) return;
  const sample = state.dissection.samples[index];
  if (!sample) return;
  state.ui.sample = index;
  if (paint) {
    paint.src = `data:image/png;base64,${sample.imagePng}`;
    paint.alt = `Sample ${sample.index}: drag a rectangle on it`;
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.gan-sample")) {
    const on = Number(b.dataset.sample) === index;
    b.classList.toggle("selected", on);
    b.setAttribute("aria-pressed", String(on));
  }
  save();
}

function send(withRegion: boolean): void {
  if (!state) return;
  if (!state.ui.concept) {
    say("Choose a concept first.", true);
    return;
  }
  if (withRegion && !state.ui.region) {
    say("Drag a region on the sample first.", true);
    return;
  }
  const request: GanEditRequest = {
    type: "edit",
    concept: state.ui.concept,
    units: state.ui.units,
    sample: state.ui.sample,
    ...(withRegion && state.ui.region ? { region: state.ui.region } : {}),
  };
  say(`${withRegion ? "Inserting" : "Ablating"} ${state.ui.concept}'s top ${state.ui.units} units…`);
  vscode.postMessage(request);
}

// Dragging a rectangle on the sample (pointer events: mouse, pen and touch alike).
let start: { x: number; y: number } | undefined;
const at = (event: PointerEvent) => {
  const box = (paint ?? canvas)!.getBoundingClientRect();
  return { x: ((event.clientX - box.left) / box.width) * width, y: ((event.clientY - box.top) / box.height) * height };
};
canvas?.addEventListener("pointerdown", (event) => {
  start = at(event);
  canvas.setPointerCapture(event.pointerId);
  event.preventDefault();
});
canvas?.addEventListener("pointermove", (event) => {
  if (start) showRegion(regionFromDrag(start, at(event), width, height));
});
canvas?.addEventListener("pointerup", (event) => {
  if (!start) return;
  showRegion(regionFromDrag(start, at(event), width, height));
  start = undefined;
});

for (const [, input] of inputs)
  input?.addEventListener("change", () => {
    const v = Object.fromEntries(inputs.map(([k, i]) => [k, Number(i?.value)])) as unknown as GanRegion;
    const ok =
      [v.x0, v.y0, v.x1, v.y1].every((n) => Number.isInteger(n)) && v.x0 >= 0 && v.y0 >= 0 && v.x0 < v.x1 && v.y0 < v.y1 && v.x1 <= width && v.y1 <= height;
    if (ok) {
      showRegion(v);
      say("");
    } else say(`A region is columns 0 ≤ x0 < x1 ≤ ${width} and rows 0 ≤ y0 < y1 ≤ ${height}.`, true);
  });

for (const button of document.querySelectorAll<HTMLButtonElement>("button.gan-sample"))
  button.addEventListener("click", () => chooseSample(Number(button.dataset.sample)));
for (const row of document.querySelectorAll<HTMLTableRowElement>("tr.gan-concept")) {
  row.addEventListener("click", () => chooseConcept(row.dataset.concept ?? ""));
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      chooseConcept(row.dataset.concept ?? "");
    }
  });
}
conceptSelect?.addEventListener("change", () => chooseConcept(conceptSelect.value));
unitsInput?.addEventListener("change", () => {
  if (!state) return;
  const n = Number(unitsInput.value);
  if (Number.isInteger(n) && n >= 1 && n <= maxUnits()) {
    state.ui.units = n;
    save();
    say("");
  } else say(`Top units: 1 to ${maxUnits()}.`, true);
});
ablate?.addEventListener("click", () => send(false));
insert?.addEventListener("click", () => send(true));
clear?.addEventListener("click", () => showRegion(undefined));

listenToHost<unknown>(vscode, (data) => {
  const message = parseGanToWebview(data);
  if (message) say(message.message, true);
});

if (state) {
  chooseSample(state.ui.sample);
  if (state.ui.concept) chooseConcept(state.ui.concept);
  if (unitsInput) unitsInput.value = String(state.ui.units);
  showRegion(state.ui.region);
}
