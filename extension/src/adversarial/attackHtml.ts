// The adversarial panel's HTML: the clean image, the attacked one and the perturbation (amplified so ε
// reaches black or white), the class probabilities before and after, the layer's most changed units with
// their dissected labels and maps before/after, and how those units overlap with the units that matter
// most for the source and target classes. Pure (no `vscode` import).

import { escapeHtml, formatStat, panelPage, type PageResources } from "../panelHtml";
import type { AttackOverlap, AttackResult } from "../protocol.generated";
import type { AttackPanelState, AttackUnitLabel } from "./attackMessages";

export interface AttackHtmlInput extends PageResources {
  state: AttackPanelState;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Rows of the changed-units table: the daemon sends every unit of the layer (512 at ResNet's layer4), most changed first. */
export const UNIT_ROWS = 24;

/** ε as the user thinks of it: "8/255" when it is a whole number of 8-bit levels, else the number. */
export function epsilonText(epsilon: number): string {
  const levels = epsilon * 255;
  return Math.abs(levels - Math.round(levels)) < 1e-6 ? `${Math.round(levels)}/255` : formatStat(epsilon);
}

function img(png: string, alt: string, r: AttackResult, cls: string): string {
  return `<img class="${cls}" src="data:image/png;base64,${png}" alt="${escapeHtml(alt)}" width="${r.width}" height="${r.height}">`;
}

function probabilities(r: AttackResult): string {
  const e = escapeHtml;
  const rows: string[] = [];
  const source = r.sourceClass === r.cleanPrediction.index ? r.cleanPrediction.name : `class ${r.sourceClass}`;
  rows.push(`<tr><th scope="row">Source class (${e(source)})</th><td>${pct(r.cleanSourceProbability)}</td><td>${pct(r.attackedSourceProbability)}</td></tr>`);
  rows.push(
    `<tr><th scope="row">Prediction</th><td>${e(r.cleanPrediction.name)} · ${pct(r.cleanPrediction.probability)}</td><td>${e(r.attackedPrediction.name)} · ${pct(r.attackedPrediction.probability)}</td></tr>`,
  );
  return `<table class="attack-probabilities"><thead><tr><th scope="col"></th><th scope="col">Clean</th><th scope="col">Attacked</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function labelText(label: AttackUnitLabel | undefined): string {
  return label ? `${label.concept} (${label.category}, IoU ${label.iou.toFixed(2)})` : "";
}

function unitRows(state: AttackPanelState): string {
  const e = escapeHtml;
  const labels = new Map(state.labels.map((l) => [l.unit, l]));
  const important = new Map<number, string[]>();
  for (const o of state.result.overlaps) for (const u of o.importantUnits) important.set(u, [...(important.get(u) ?? []), o.role]);
  return state.result.units
    .slice(0, UNIT_ROWS)
    .map((u, rank) => {
      const maps =
        u.cleanMapPng && u.attackedMapPng
          ? `<img class="unit-map" src="data:image/png;base64,${u.cleanMapPng}" alt="${e(`unit ${u.unit} on the clean image`)}"><img class="unit-map" src="data:image/png;base64,${u.attackedMapPng}" alt="${e(`unit ${u.unit} on the attacked image`)}">`
          : "";
      const roles = important.get(u.unit);
      return (
        `<tr class="attack-unit${u.unit === state.selected ? " selected" : ""}" data-unit="${u.unit}" tabindex="0" aria-selected="${u.unit === state.selected}">` +
        `<td>${rank + 1}</td><th scope="row">${u.unit}</th><td>${e(labelText(labels.get(u.unit))) || '<span class="muted">—</span>'}</td>` +
        `<td>${formatStat(u.cleanMean)}</td><td>${formatStat(u.attackedMean)}</td><td>${formatStat(u.change)}</td>` +
        `<td>${roles ? e(roles.map((r) => `top for ${r}`).join(", ")) : ""}</td><td class="maps">${maps}</td>` +
        `<td><button type="button" class="open-card" data-unit="${u.unit}" aria-label="${e(`Open the card of unit ${u.unit}`)}">Card</button></td></tr>`
      );
    })
    .join("");
}

/** What the table leaves out: how many units, and the largest change among them. */
function unitsLeftOut(r: AttackResult): string {
  const rest = r.units.slice(UNIT_ROWS);
  if (rest.length === 0) return "";
  const largest = Math.max(...rest.map((u) => Math.abs(u.change)));
  return `<p class="muted">${rest.length} more units of ${escapeHtml(r.layer)} changed less (|change| at most ${formatStat(largest)}).</p>`;
}

function unitChips(units: readonly number[], shared: ReadonlySet<number>): string {
  return units.map((u) => `<button type="button" class="unit-chip${shared.has(u) ? " shared" : ""}" data-unit="${u}">${u}</button>`).join(" ");
}

function overlapHtml(o: AttackOverlap): string {
  const e = escapeHtml;
  const shared = new Set(o.shared);
  return (
    `<section class="attack-overlap" data-role="${e(o.role)}"><h3>${e(o.role === "source" ? "Source" : "Target")} class ${e(o.className)}: ${o.shared.length} of ${o.k} shared ` +
    `<span class="muted">(${o.expectedByChance.toFixed(1)} expected by chance)</span></h3>` +
    `<p><span class="muted">Most changed:</span> ${unitChips(o.changedUnits, shared)}</p>` +
    `<p><span class="muted">Most important (each removed alone):</span> ${unitChips(o.importantUnits, shared)}</p></section>`
  );
}

export function buildAttackHtml(input: AttackHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const method = r.method === "fgsm" ? "FGSM" : `PGD, ${r.steps} steps of ${epsilonText(r.stepSize)}`;
  const goal =
    r.targetClass !== undefined && r.targetClass !== null
      ? `towards ${r.attackedPrediction.index === r.targetClass ? r.attackedPrediction.name : `class ${r.targetClass}`}`
      : "untargeted";
  const verdict = r.succeeded
    ? `<p class="verdict fooled" role="status">Fooled: ${e(r.cleanPrediction.name)} → ${e(r.attackedPrediction.name)}</p>`
    : `<p class="verdict held" role="status">Not fooled: still ${e(r.attackedPrediction.name)}</p>`;
  const overlaps =
    r.overlaps.length > 0
      ? `<h2>Against the units that matter for the classes</h2>${r.overlaps.map(overlapHtml).join("")}`
      : `<p class="muted">${state.request.evaluationSet ? "The evaluation set has neither class: no ranking to compare with." : "No evaluation set was named: the changed units are not compared with the classes' rankings."}</p>`;
  const dissected = state.labels.length > 0 ? "" : `<p class="muted">Labels: ${e(r.layer)} has no dissection (or none of these units is labelled).</p>`;
  return panelPage(
    input,
    `Adversarial attack · ${r.layer}`,
    `<header class="head">
<h1>Adversarial attack <span class="model">${e(state.request.image)} · ${e(r.layer)} · ${e(state.model.modelLabel)}</span></h1>
<p class="meta">${e(method)}, ε = ${e(epsilonText(r.epsilon))} (${r.epsilonLevels} levels of 255), ${e(goal)}; largest change ${r.maxChange} levels.</p>
</header>
${verdict}
<div class="attack-images">
<figure>${img(r.cleanPng, "The clean image", r, "attack-image")}<figcaption>Clean</figcaption></figure>
<figure>${img(r.attackedPng, "The attacked image", r, "attack-image")}<figcaption>Attacked</figcaption></figure>
<figure>${img(r.perturbationPng, "The perturbation, amplified", r, "attack-image")}<figcaption>Perturbation (±ε → black/white)</figcaption></figure>
</div>
${probabilities(r)}
<h2>Units of ${e(r.layer)} the attack changed most</h2>
${dissected}
<p class="muted">Click a row (or press Enter on it) to see its maps large; "Card" opens the unit's card. Maps: clean, then attacked, on one scale.</p>
<table class="attack-units">
<thead><tr><th scope="col">#</th><th scope="col">Unit</th><th scope="col">Label</th><th scope="col">Clean mean</th><th scope="col">Attacked mean</th><th scope="col">Change</th><th scope="col">Ranking</th><th scope="col">Maps</th><th scope="col"></th></tr></thead>
<tbody>${unitRows(state)}</tbody>
</table>
${unitsLeftOut(r)}
<section id="attack-detail" class="attack-detail" aria-live="polite"></section>
${overlaps}`,
    state,
  );
}
