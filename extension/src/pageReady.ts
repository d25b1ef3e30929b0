// Why a page says when it listens: a webview's script starts some time after the host sets its HTML,
// and VS Code drops what the host posts before the script has a message listener (under load the unit
// card's result was lost that way, and the panel waited forever). So the host numbers each page it
// renders, holds its messages until that page reports that it listens, and then sends them in order.
// The number matters because a panel renders itself again for new results: a "ready" still on its way
// from the page being replaced must not release messages to its successor before that one listens.

/** What a page posts once its message listener is in place. */
export interface PageReady {
  type: typeof PAGE_READY;
  /** The number the host gave the page (its <meta name="unitscope-page">). */
  page: number;
}

export const PAGE_READY = "unitscope.pageReady";

/** The <meta> that carries a page's number. */
export const PAGE_NUMBER_META = "unitscope-page";

export function isPageReady(raw: unknown): raw is PageReady {
  const m = raw as PageReady | undefined;
  return typeof m === "object" && m !== null && m.type === PAGE_READY && Number.isInteger(m.page);
}

/** The page's HTML with its number in a <meta> at the top of the head. */
export function withPageNumber(html: string, page: number): string {
  const meta = `<meta name="${PAGE_NUMBER_META}" content="${page}">`;
  return html.includes("<head>") ? html.replace("<head>", `<head>\n${meta}`) : `${meta}\n${html}`;
}

/**
 * The host's messages to one panel's page: sent at once while the current page listens, otherwise
 * held (at most `limit`, the oldest dropped first: a long run posts progress to a hidden panel) until
 * it does.
 */
export class HeldMessages<M> {
  private page = 0;
  private listening = false;
  private held: M[] = [];

  constructor(
    private readonly send: (message: M) => void,
    private readonly limit = 1000,
  ) {}

  /** A new page replaces the current one: returns its number. What was held is dropped: the new page's HTML carries the state. */
  newPage(): number {
    this.page += 1;
    this.listening = false;
    this.held = [];
    return this.page;
  }

  /** The page went away without being replaced (a hidden panel: VS Code loads the same HTML again when it is shown). */
  pageGone(): void {
    this.listening = false;
  }

  /** The page numbered `page` listens: what was held for it is sent. A stale page's report is ignored. */
  ready(page: number): void {
    if (page !== this.page) return;
    this.listening = true;
    const held = this.held;
    this.held = [];
    for (const message of held) this.send(message);
  }

  post(message: M): void {
    if (this.listening) {
      this.send(message);
      return;
    }
    this.held.push(message);
    if (this.held.length > this.limit) this.held.shift();
  }

  /** Whether the current page said it listens. */
  get listens(): boolean {
    return this.listening;
  }

  /** Messages waiting for the page to listen. */
  get waiting(): number {
    return this.held.length;
  }
}
