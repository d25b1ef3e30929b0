// Reading the panels' HTML in tests: the resources a panel would pass in (as a webview's URIs),
// the start tags of the markup, and the page's CSP with its nonce.

import type { PageResources } from "../../src/panelHtml";

export const CSP_SOURCE = "https://file+.vscode-resource.vscode-cdn.net";
export const MEDIA = `${CSP_SOURCE}/ext/media`;

/** What a panel passes its HTML builder: the CSP source, media/`script`, media/base.css and media/`style`. */
export function resources(script: string, style: string): PageResources {
  return { cspSource: CSP_SOURCE, scriptUri: `${MEDIA}/${script}`, baseStyleUri: `${MEDIA}/base.css`, styleUri: `${MEDIA}/${style}` };
}

export interface Tag {
  name: string;
  attrs: Map<string, string>;
}

/** The start tags of our own markup (all attributes double-quoted, as the builders write them). */
export function tags(html: string): Tag[] {
  const out: Tag[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*>/g)) {
    const attrs = new Map<string, string>();
    for (const a of (m[2] ?? "").matchAll(/([^\s=>]+)(?:="([^"]*)")?/g)) attrs.set(a[1]!.toLowerCase(), a[2] ?? "");
    out.push({ name: m[1]!.toLowerCase(), attrs });
  }
  return out;
}

/** A page's tags, its CSP and the nonce the CSP gives scripts. */
export function readPage(html: string): { html: string; policy: string; nonce: string; tags: Tag[] } {
  const all = tags(html);
  const policy = all.find((t) => t.name === "meta" && t.attrs.get("http-equiv") === "Content-Security-Policy")?.attrs.get("content") ?? "";
  const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1] ?? "";
  return { html, policy, nonce, tags: all };
}
