// What a person does in VS Code's workbench (code-server in Chromium), with waits for what they would
// wait for: the palette, Quick Open, Go to Line, hovers, quick picks, the simple file dialog, webview
// frames. Shared by the UI test of the .vsix (ui.ts) and the fresh-install test (freshInstall.ts).

import type { Frame, Page } from "playwright-core";

/** The extension's status bar item. */
export const STATUS = "[id='unitscope.unitscope.unitscope.status']";

/** What a person does in the workbench, with waits for what they would wait for. */
export class Workbench {
  constructor(private readonly page: Page) {}

  get quickInput() {
    return this.page.locator(".quick-input-widget input");
  }

  async waitForText(selector: string, text: RegExp, timeout = 30_000): Promise<void> {
    await poll(
      this.page,
      ({ selector, source }) => new RegExp(source).test(document.querySelector(selector)?.textContent ?? ""),
      { selector, source: text.source },
      timeout,
    );
  }

  /** Runs a command from the palette (F1), by its label. */
  async command(label: string): Promise<void> {
    // The row whose label is exactly this command (the list may rank another one first).
    const row = this.page
      .locator(".quick-input-list .monaco-list-row")
      .filter({ has: this.page.locator(".label-name", { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
    await this.untilShown(`the command palette's "${label}"`, async () => {
      await this.page.keyboard.press("F1");
      await this.quickInput.waitFor();
      await this.quickInput.fill(`>${label}`);
      await row.first().waitFor({ timeout: 20_000 });
    });
    await row.first().click();
    await this.page.waitForTimeout(300);
  }

  async hasCommand(label: string): Promise<boolean> {
    await this.page.keyboard.press("F1");
    await this.quickInput.waitFor();
    await this.quickInput.fill(`>${label}`);
    await this.page.waitForTimeout(800);
    const found = (await this.page.locator(".quick-input-list .monaco-list-row", { hasText: label }).count()) > 0;
    await this.page.keyboard.press("Escape");
    return found;
  }

  async quickOpen(file: string): Promise<void> {
    const row = this.page.locator(".quick-input-list .monaco-list-row", { hasText: file }).first();
    await this.untilShown("Quick Open", async () => {
      await this.page.keyboard.press("Control+P");
      await this.quickInput.waitFor();
      await this.quickInput.fill(file);
      await row.waitFor({ timeout: 30_000 });
    });
    await this.page.keyboard.press("Enter");
  }

  /**
   * Opens a quick input and waits for what it should list, again (after Escape) when it did not: on a
   * busy machine VS Code may list nothing for a while (file search still indexing) or drop the first
   * keystrokes. `open` must only open and wait, never accept (accepting twice would run a command twice).
   */
  private async untilShown(what: string, open: () => Promise<void>, tries = 4): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await open();
        return;
      } catch (e) {
        if (i >= tries) throw new Error(`${what}: not shown after ${tries} tries: ${(e as Error).message}`, { cause: e });
        await this.page.keyboard.press("Escape");
        await this.page.waitForTimeout(1_000);
      }
    }
  }

  /** Waits for a quick input (a picker, an input box, the simple file dialog) whose title matches. */
  async waitForQuickInputTitle(title: RegExp, timeout = 30_000): Promise<void> {
    await this.page.locator(".quick-input-widget .quick-input-title", { hasText: title }).first().waitFor({ timeout });
    await this.quickInput.waitFor();
  }

  /** Moves the cursor of the focused editor to line:column (1-based), with "Go to Line/Column". */
  async goTo(line: number, column: number): Promise<void> {
    await this.page.keyboard.press("Control+G");
    await this.quickInput.waitFor();
    await this.quickInput.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await this.page.waitForTimeout(300);
  }

  async focusEditor(file: string): Promise<void> {
    await this.page
      .locator(".tab", { hasText: file.replace(/\.py$/, "") })
      .first()
      .click();
  }

  /** Goes to line:column and shows the hover there; its text. */
  async hover(line: number, column: number): Promise<string> {
    await this.goTo(line, column);
    await this.command("Show or Focus Hover");
    const hover = this.page.locator(".monaco-hover-content").first();
    await hover.waitFor({ timeout: 20_000 });
    return hover.innerText();
  }

  /** Picks the item labelled exactly `label` in the quick pick whose title matches. */
  async pick(title: RegExp, label: string): Promise<void> {
    await this.waitForQuickInputTitle(title);
    await this.quickInput.fill(label);
    const row = this.page
      .locator(".quick-input-list .monaco-list-row")
      .filter({ has: this.page.locator(".label-name", { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
    await row.first().waitFor({ timeout: 15_000 });
    await row.first().click();
  }

  /** An evaluation set picker: the folder when it is among the recent ones, else "Image folder…" and the folder dialog. */
  async pickEvaluationSet(title: RegExp, folder: string): Promise<void> {
    await this.waitForQuickInputTitle(title);
    const recent = this.page.locator(".quick-input-list .monaco-list-row", { hasText: folder });
    if ((await recent.count()) > 0) {
      await recent.first().click();
      return;
    }
    await this.pick(title, "Image folder…");
    await this.pickFile(folder);
  }

  /** Types a path into VS Code's simple file dialog and accepts it. */
  async pickFile(file: string): Promise<void> {
    await this.quickInput.waitFor({ timeout: 15_000 });
    await this.page.waitForTimeout(300);
    await this.quickInput.fill(file);
    await this.page.waitForTimeout(500);
    await this.page.keyboard.press("Enter");
    // A folder: the first Enter may only open it; accept it with OK when the dialog is still there
    // (a file is accepted by Enter: the quick input showing now may be the command's next pick).
    await this.page.waitForTimeout(700);
    const ok = this.page.locator(".quick-input-widget .monaco-button", { hasText: /^(OK|Use folder|Select Folder)$/ });
    if ((await this.quickInput.isVisible()) && (await ok.count()) > 0 && (await ok.first().isVisible())) await ok.first().click();
  }

  /** The webview frame whose document title matches (the panel's content), waiting for it. */
  async frame(title: RegExp, timeout = 15_000, also?: (f: Frame) => Promise<boolean>): Promise<Frame> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        const t = await f.title().catch(() => "");
        if (title.test(t) && (!also || (await also(f).catch(() => false)))) return f;
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(
      `no panel titled ${title} (frames: ${(await Promise.all(this.page.frames().map((f) => f.title().catch(() => "?")))).filter(Boolean).join(" | ")})`,
    );
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Polls `fn(arg)` in the page or frame until it is truthy. (Playwright's waitForFunction
 * re-evaluates with eval, which webviews' CSP forbids; evaluate goes through the debugger.)
 */
export async function poll<A>(target: Page | Frame, fn: (arg: A) => unknown, arg: A, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  while (!(await (target as Page).evaluate(fn as (a: any) => unknown, arg as any).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fn.toString().slice(0, 120)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
