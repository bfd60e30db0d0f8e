// The heat map: a row per watched label, a column per time bucket, coloured by the best score.
import { LitElement, css, html, svg, nothing } from "lit";
import { localize } from "./localize";
import { clock } from "./format";
import type { HomeAssistant, Period, Timeline } from "./types";

export interface CellDetail {
  label: string;
  start: number;
  end: number;
}

// A tick label near either end is anchored inside the row, not centred past the card's edge.
const EDGE = 8; // per cent of the row
function edge(at: number): string {
  return at < EDGE ? "first" : at > 100 - EDGE ? "last" : "";
}

export class MlwatchHeatmap extends LitElement {
  static override properties = {
    hass: { attribute: false },
    timeline: { attribute: false },
    period: {},
    thresholds: { attribute: false },
    selected: { attribute: false },
  };

  hass?: HomeAssistant;
  timeline?: Timeline;
  period: Period = "day";
  thresholds: Record<string, number> = {};
  selected?: CellDetail;

  private _pick(label: string, index: number): void {
    const t = this.timeline!;
    const start = t.start + index * t.bucket;
    const detail: CellDetail = { label, start, end: start + t.bucket };
    this.dispatchEvent(new CustomEvent("cell-selected", { detail, bubbles: true, composed: true }));
  }

  private _ticks(t: Timeline): { at: number; text: string }[] {
    const span = t.bucket * t.frames.length;
    const step = this.period === "day" ? 6 * 3600 : 24 * 3600;
    const lang = this.hass?.locale?.language ?? "en";
    const ticks = [];
    for (let at = Math.ceil(t.start / step) * step; at < t.start + span; at += step) {
      const when = new Date(at * 1000);
      const text =
        this.period === "day"
          ? clock(lang, at)
          : when.toLocaleDateString(lang, { weekday: "short", day: "numeric" });
      ticks.push({ at: ((at - t.start) / span) * 100, text });
    }
    return ticks;
  }

  private _row(label: string, scores: (number | null)[], t: Timeline) {
    const lang = this.hass?.locale?.language ?? "en";
    const episodes = new Set(t.episodes[label] ?? []);
    const threshold = this.thresholds[label] ?? 0.6;
    return svg`${scores.map((score, i) => {
      const from = clock(lang, t.start + i * t.bucket);
      const to = clock(lang, t.start + (i + 1) * t.bucket);
      const title =
        score === null
          ? localize(this.hass, "heatmap.cell_empty", { label, from, to })
          : localize(this.hass, "heatmap.cell", {
              label,
              from,
              to,
              score: Math.round(score * 100),
              frames: t.frames[i],
            });
      const episode = episodes.has(i);
      const selected =
        this.selected?.label === label && Math.abs(this.selected.start - (t.start + i * t.bucket)) < 1;
      const cls = [
        "cell",
        score === null ? "none" : score >= threshold ? "hot" : "",
        episode ? "episode" : "",
        selected ? "selected" : "",
      ].join(" ");
      const opacity = score === null ? 1 : 0.12 + 0.88 * score;
      return svg`<rect class=${cls} x=${i} y="0" width="1" height="1" fill-opacity=${opacity}
        data-label=${label} data-index=${i} data-score=${score ?? ""}
        @click=${() => this._pick(label, i)}><title>${title}${
          episode ? ` · ${localize(this.hass, "heatmap.episode")}` : ""
        }</title></rect>`;
    })}`;
  }

  override render() {
    const t = this.timeline;
    if (!t) return nothing;
    const labels = Object.keys(t.labels);
    const columns = t.frames.length;
    const empty = t.frames.every((n) => n === 0);
    return html`
      <div class="grid">
        ${labels.map(
          (label) => html`
            <div class="name" title=${label}>${label}</div>
            <svg viewBox="0 0 ${columns} 1" preserveAspectRatio="none" role="img" aria-label=${label}>
              ${this._row(label, t.labels[label], t)}
            </svg>
          `,
        )}
        <div></div>
        <div class="axis">
          ${this._ticks(t).map(
            (tick) =>
              html`<span class=${edge(tick.at)} style="left: ${tick.at}%">${tick.text}</span>`,
          )}
        </div>
      </div>
      ${empty ? html`<p class="hint">${localize(this.hass, "heatmap.nothing")}</p>` : nothing}
      <div class="legend">
        <span>${localize(this.hass, "heatmap.legend_low")}</span>
        <span class="ramp"></span>
        <span>${localize(this.hass, "heatmap.legend_high")}</span>
        <span class="mark"></span><span>${localize(this.hass, "heatmap.episode")}</span>
      </div>
    `;
  }

  static override styles = css`
    :host {
      display: block;
      --mlwatch-hot: var(--error-color, #db4437);
      --mlwatch-warm: var(--warning-color, #ffa600);
    }
    .grid {
      display: grid;
      grid-template-columns: minmax(3em, max-content) 1fr;
      gap: 4px 8px;
      align-items: center;
    }
    .name {
      font-size: 0.9em;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      max-width: 8em;
    }
    svg {
      width: 100%;
      height: 22px;
      display: block;
      background: var(--secondary-background-color, #f0f0f0);
      border-radius: 3px;
    }
    .cell {
      fill: var(--mlwatch-warm);
      cursor: pointer;
    }
    .cell.hot {
      fill: var(--mlwatch-hot);
    }
    .cell.none {
      fill: transparent;
    }
    .cell.episode {
      stroke: var(--primary-text-color);
      stroke-width: 2;
      vector-effect: non-scaling-stroke;
    }
    .cell.selected {
      stroke: var(--primary-color);
      stroke-width: 3;
      vector-effect: non-scaling-stroke;
    }
    .axis {
      position: relative;
      height: 1.2em;
      font-size: 0.75em;
      color: var(--secondary-text-color);
    }
    .axis span {
      position: absolute;
      transform: translateX(-50%);
      white-space: nowrap;
    }
    .axis span.first {
      transform: none;
    }
    .axis span.last {
      transform: translateX(-100%);
    }
    .legend {
      display: flex;
      align-items: center;
      gap: 6px;
      margin-top: 6px;
      font-size: 0.75em;
      color: var(--secondary-text-color);
      flex-wrap: wrap;
    }
    .ramp {
      width: 60px;
      height: 8px;
      border-radius: 2px;
      background: linear-gradient(
        to right,
        color-mix(in srgb, var(--mlwatch-warm) 15%, transparent),
        var(--mlwatch-warm),
        var(--mlwatch-hot)
      );
    }
    .mark {
      width: 8px;
      height: 8px;
      margin-left: 8px;
      border: 2px solid var(--primary-text-color);
    }
    .hint {
      color: var(--secondary-text-color);
      font-size: 0.85em;
      margin: 6px 0 0;
    }
  `;
}
