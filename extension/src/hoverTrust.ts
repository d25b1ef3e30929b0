// Hovers from the daemon link to UnitScope commands ("Dissect conv4", "Open dissection"). VS Code
// runs `command:` links only in trusted markdown; the client trusts exactly these commands, and
// only in hovers that come from our own language client. Pure: no `vscode` import.

/** The commands the daemon's hovers may link to (server/UnitScope.Server/References/HoverContent.cs). */
export const TRUSTED_HOVER_COMMANDS: readonly string[] = [
  "unitscope.dissectLayer",
  "unitscope.openDissection",
  "unitscope.ablateUnits",
  "unitscope.showUnitMap",
  "unitscope.openUnitCard",
  "unitscope.unitGallery",
];

/** The `isTrusted` value for our hovers: command links run only for the listed commands. */
export function hoverTrust(): { enabledCommands: readonly string[] } {
  return { enabledCommands: TRUSTED_HOVER_COMMANDS };
}

/** The command ids of the `command:` links in a markdown text (for checks and logs). */
export function commandLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(command:([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);
}
