// The page every webview panel shows (CSP with a fresh nonce per load, the shared and the page's
// stylesheets, the state as JSON no data can close, the page's script), the helpers every page's
// HTML uses, and the unit-map webview's HTML. Pure (no `vscode` import): the panel passes in the
// webview's CSP source and resource URIs. Every piece of model data is escaped.

import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { isBase64 } from "./guards";
import type { UnitMapPanelState } from "./unitMapMessages";
import type { PreprocessingInfo } from "./protocol.generated";

/** What every page takes from its panel: the webview's CSP source and its media as `webview.asWebviewUri(...)` strings. */
export interface PageResources {
  /** `webview.cspSource`. */
  cspSource: string;
  /** The page's bundled script, media/NAME.js. */
  scriptUri: string;
  /** media/base.css: the rules every page shares. */
  baseStyleUri: string;
  /** The page's own stylesheet. */
  styleUri: string;
}

export interface UnitMapHtmlInput extends PageResources {
  state: UnitMapPanelState;
  /** The source image under the overlay, when it could be read. */
  baseImage?: { mime: string; base64: string } | undefined;
}

/** A new CSP nonce: 128 random bits from `crypto`, base64url (valid in CSP and in attributes). */
export function newNonce(): string {
  return randomBytes(16).toString("base64url");
}

/** Escapes text for HTML element content and double-quoted attribute values (the only kind used here). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JSON that is safe inside a <script> element: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A statistic for display: 4 significant digits, no exponent for ordinary magnitudes. */
export function formatStat(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (a >= 1e-3 && a < 1e6) return String(Number(n.toPrecision(4)));
  return n.toExponential(3);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `img-src ${cspSource} data:`, `style-src ${cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join("; ");
}

/**
 * A whole page: `body` (our markup, everything from the daemon escaped) between the head, with the
 * CSP and a fresh nonce, and the scripts: `state` as JSON that cannot close its element (the
 * webview script reads and persists it), then the page's script.
 */
export function panelPage(resources: PageResources, title: string, body: string, state: unknown): string {
  const nonce = newNonce();
  const e = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(resources.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${e(resources.baseStyleUri)}" nonce="${nonce}">
<link rel="stylesheet" href="${e(resources.styleUri)}" nonce="${nonce}">
<title>${e(title)}</title>
</head>
<body>
${body}
<script id="unitscope-state" type="application/json" nonce="${nonce}">${scriptJson(state)}</script>
<script nonce="${nonce}" src="${e(resources.scriptUri)}"></script>
</body>
</html>
`;
}

/**
 * How the daemon turned the images into the model's input, and its warnings (grey defaults, classes matched by
 * position, probe images resized): one muted line, then each warning, so nothing is decided silently. Empty when
 * the result carries none (an older daemon, or a state persisted before it did).
 */
export function preprocessingHtml(p: PreprocessingInfo | undefined): string {
  if (!p || typeof p.summary !== "string") return "";
  const e = escapeHtml;
  const warnings = Array.isArray(p.warnings) ? p.warnings.filter((w): w is string => typeof w === "string") : [];
  return (
    `<section class="preprocessing" aria-label="Preprocessing"><p class="muted">Input: ${e(p.summary)}</p>` +
    warnings.map((w) => `<p class="warning" role="note">⚠ ${e(w)}</p>`).join("") +
    `</section>`
  );
}

const IMAGE_MIME = /^image\/(png|jpeg|bmp|gif|webp)$/;

export function buildUnitMapHtml(input: UnitMapHtmlInput): string {
  const { view, opacity } = input.state;
  const e = escapeHtml;
  const imageName = path.basename(view.imagePath.replace(/\\/g, "/")) || view.imagePath;
  const size = `width="${view.imageWidth}" height="${view.imageHeight}"`;
  const percent = Math.round(Math.min(1, Math.max(0, opacity)) * 100);

  const base =
    input.baseImage && IMAGE_MIME.test(input.baseImage.mime) && isBase64(input.baseImage.base64)
      ? `<img class="base" src="data:${input.baseImage.mime};base64,${input.baseImage.base64}" alt="" ${size}>`
      : "";
  const overlay = isBase64(view.overlayPng)
    ? `<img id="overlay" class="overlay" src="data:image/png;base64,${view.overlayPng}" ` +
      `alt="${e(`Unit ${view.unit} of ${view.layer} over ${imageName}`)}" ${size}>`
    : `<p class="missing">The daemon sent no overlay image.</p>`;

  const stats: [string, string][] = [
    ["min", formatStat(view.min)],
    ["max", formatStat(view.max)],
    ["mean", formatStat(view.mean)],
    ["map", `${view.mapWidth} × ${view.mapHeight}`],
    ["image", `${view.imageWidth} × ${view.imageHeight}`],
  ];

  return panelPage(
    input,
    `Map · ${view.layer} · unit ${view.unit}`,
    `<header class="head">
<h1><span class="layer">${e(view.layer)}</span> <span class="unit">unit ${view.unit}</span></h1>
<p class="meta">${e(view.layerKind)} · ${view.units} units · ${e(view.modelLabel)}</p>
${preprocessingHtml(view.preprocessing)}
</header>
<nav class="toolbar" aria-label="Unit">
<button id="prev" type="button" data-unit="${view.unit - 1}"${view.unit <= 0 ? " disabled" : ""}>◀ Unit ${Math.max(0, view.unit - 1)}</button>
<button id="pick" type="button">Unit…</button>
<button id="next" type="button" data-unit="${view.unit + 1}"${view.unit + 1 >= view.units ? " disabled" : ""}>Unit ${Math.min(view.units - 1, view.unit + 1)} ▶</button>
<label class="opacity">Overlay <input id="opacity" type="range" min="0" max="100" step="1" value="${percent}"></label>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<figure class="stage">
<div class="frame">${base}${overlay}</div>
<figcaption><button id="open-image" type="button" class="link" title="${e(view.imagePath)}">${e(imageName)}</button></figcaption>
</figure>
<dl class="stats">
${stats.map(([k, v]) => `<div><dt>${k}</dt><dd>${e(v)}</dd></div>`).join("\n")}
</dl>`,
    input.state,
  );
}

/** The MIME type of an image file by its extension, undefined for ones a webview cannot show. */
export function imageMime(file: string): string | undefined {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case ".png":
      return "image/png";
    case ".jpg":
    case ".jpeg":
      return "image/jpeg";
    case ".bmp":
      return "image/bmp";
    case ".gif":
      return "image/gif";
    case ".webp":
      return "image/webp";
    default:
      return undefined;
  }
}
