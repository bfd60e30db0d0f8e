// The question queue's state: what is waiting, what was just answered (and can be undone).
import type { PendingItem } from "./types";

export type Verdict = "confirmed" | "rejected";

export interface Answer {
  item: PendingItem;
  verdict: Verdict;
  label?: string;
}

export const UNDO_MS = 6000;

/** The answer a picked label means: the asked label is a yes, any other a no with the real one. */
export function answerFor(item: PendingItem, picked: string): Answer {
  const label = picked.trim();
  return label === item.label
    ? { item, verdict: "confirmed" }
    : { item, verdict: "rejected", label };
}

/** Newest first, without what is answered but not yet sent, and only the filtered label's. */
export function visible(
  items: PendingItem[],
  hidden: ReadonlySet<string>,
  filter: string | null,
): PendingItem[] {
  return items
    .filter((item) => !hidden.has(item.id))
    .filter((item) => filter === null || item.label === filter || filter in item.scores)
    .sort((a, b) => b.time - a.time);
}

/**
 * Holds one answer for a few seconds before it is sent, so that Undo costs nothing; a second
 * answer, or the card going away, sends the held one at once.
 */
export class HeldAnswer {
  private held?: { answer: Answer; timer: ReturnType<typeof setTimeout> };

  constructor(private readonly send: (answer: Answer) => Promise<void>) {}

  get current(): Answer | undefined {
    return this.held?.answer;
  }

  hold(answer: Answer): Promise<void> {
    const sent = this.flush();
    const timer = setTimeout(() => void this.flush(), UNDO_MS);
    this.held = { answer, timer };
    return sent;
  }

  undo(): Answer | undefined {
    const held = this.held;
    if (!held) return undefined;
    clearTimeout(held.timer);
    this.held = undefined;
    return held.answer;
  }

  flush(): Promise<void> {
    const held = this.held;
    if (!held) return Promise.resolve();
    clearTimeout(held.timer);
    this.held = undefined;
    return this.send(held.answer);
  }
}
