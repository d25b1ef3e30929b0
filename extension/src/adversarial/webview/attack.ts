// Script of the adversarial panel (bundled by esbuild to media/attack.js): a row of the changed units,
// clicked or chosen with Enter/Space, shows that unit's maps before/after large (kept in the state, so a
// reload shows it again); ↑/↓ move between rows; "Card" and the overlaps' unit chips ask the extension to
// open the unit's card. It receives nothing from the host.

import { byId, el, embeddedState, vsCodeApi } from "../../webview/page";
import { parseAttackPanelState, type AttackOpenUnit, type AttackPanelState } from "../attackMessages";

const vscode = vsCodeApi<AttackOpenUnit, AttackPanelState>();
const state = parseAttackPanelState(vscode.getState()) ?? parseAttackPanelState(embeddedState());
const detail = byId<HTMLElement>("attack-detail");
const rows = [...document.querySelectorAll<HTMLTableRowElement>("tr.attack-unit")];

function choose(unit: number): void {
  if (!state) return;
  state.selected = unit;
  vscode.setState(state);
  for (const row of rows) {
    const on = Number(row.dataset.unit) === unit;
    row.classList.toggle("selected", on);
    row.setAttribute("aria-selected", String(on));
  }
  const change = state.result.units.find((u) => u.unit === unit);
  if (!detail || !change) return;
  const label = state.labels.find((l) => l.unit === unit);
  const head = el(
    "p",
    undefined,
    `Unit ${unit}${label ? ` (${label.concept}, IoU ${label.iou.toFixed(2)})` : ""}: mean ${change.cleanMean.toPrecision(3)} → ${change.attackedMean.toPrecision(3)} (Δ ${change.change.toPrecision(3)}).`,
  );
  const figures = el("div", "attack-detail-maps");
  for (const [png, caption] of [
    [change.cleanMapPng, "clean"],
    [change.attackedMapPng, "attacked"],
  ] as const) {
    if (!png) continue;
    const figure = el("figure");
    const image = el("img", "unit-map-large");
    image.src = `data:image/png;base64,${png}`;
    image.alt = `Unit ${unit} on the ${caption} image`;
    figure.append(image, el("figcaption", "muted", caption));
    figures.append(figure);
  }
  detail.replaceChildren(head, figures.childElementCount ? figures : el("p", "muted", "The daemon sent maps for the first few units only."));
}

function openCard(unit: number): void {
  vscode.postMessage({ type: "openUnit", unit });
}

rows.forEach((row, i) => {
  const unit = Number(row.dataset.unit);
  row.addEventListener("click", (event) => {
    if ((event.target as HTMLElement).closest("button")) return;
    choose(unit);
  });
  row.addEventListener("keydown", (event) => {
    if (event.target !== row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      choose(unit);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      rows[Math.min(rows.length - 1, Math.max(0, i + (event.key === "ArrowDown" ? 1 : -1)))]?.focus();
    }
  });
});

for (const button of document.querySelectorAll<HTMLButtonElement>("button.open-card, button.unit-chip")) {
  button.addEventListener("click", () => openCard(Number(button.dataset.unit)));
}

if (state) {
  vscode.setState(state);
  if (state.selected !== undefined) choose(state.selected);
}
