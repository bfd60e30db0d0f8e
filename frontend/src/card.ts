// The review card: questions to answer, the day's heat map, what the camera saw, and learning.
import { LitElement, html, nothing, type PropertyValues } from "lit";
import * as api from "./api";
import { when, clock, percent } from "./format";
import type { CellDetail } from "./heatmap";
import { localize, language, type Key } from "./localize";
import { answerFor, HeldAnswer, visible, type Answer } from "./queue";
import { cardStyles } from "./styles";
import type {
  CameraLearning,
  CardConfig,
  Change,
  FrameRecord,
  HomeAssistant,
  PendingItem,
  Period,
  Tag,
  Timeline,
} from "./types";

const REFRESH_MS = 300; // several changes at once (an answer files, retrains, recounts): one reload

export class MlwatchReviewCard extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _items: { state: true },
    _hidden: { state: true },
    _index: { state: true },
    _cameras: { state: true },
    _camera: { state: true },
    _period: { state: true },
    _timeline: { state: true },
    _tags: { state: true },
    _filter: { state: true },
    _picking: { state: true },
    _crop: { state: true },
    _cell: { state: true },
    _cellFrames: { state: true },
    _error: { state: true },
    _loaded: { state: true },
  };

  hass?: HomeAssistant;
  private _config: CardConfig = { type: "custom:mlwatch-review-card" };
  private _items: PendingItem[] = [];
  private _hidden: ReadonlySet<string> = new Set();
  private _index = 0;
  private _cameras: Record<string, CameraLearning> = {};
  private _camera?: string;
  private _period: Period = "day";
  private _timeline?: Timeline;
  private _tags: Tag[] = [];
  private _filter: string | null = null;
  private _picking = false;
  private _crop = false;
  private _cell?: CellDetail;
  private _cellFrames?: FrameRecord[];
  private _error?: string;
  private _loaded = false;
  private _unsubscribe?: Promise<() => Promise<void>>;
  private _refresh?: ReturnType<typeof setTimeout>;
  private readonly _held = new HeldAnswer((answer) => this._send(answer));

  static getConfigElement(): HTMLElement {
    return document.createElement("mlwatch-review-card-editor");
  }

  static getStubConfig(): Partial<CardConfig> {
    return { period: "day" };
  }

  setConfig(config: CardConfig): void {
    this._config = { ...config };
    this._period = config.period ?? "day";
    this._camera = config.camera;
    if (this.hass && this.isConnected) this._scheduleRefresh(0);
  }

  getCardSize(): number {
    return 9;
  }

  getGridOptions(): Record<string, unknown> {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  private _t(key: Key, values?: Record<string, string | number>): string {
    return localize(this.hass, key, values);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.tabIndex = 0;
    this.addEventListener("keydown", this._onKey);
    document.addEventListener("visibilitychange", this._onHidden);
    if (this.hass) this._start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener("keydown", this._onKey);
    document.removeEventListener("visibilitychange", this._onHidden);
    void this._held.flush(); // leaving the page must not lose an answer waiting for its undo
    void this._unsubscribe?.then((stop) => stop()).catch(() => undefined);
    this._unsubscribe = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("hass") && this.hass && !this._unsubscribe && this.isConnected) this._start();
  }

  private _onHidden = (): void => {
    if (document.visibilityState === "hidden") void this._held.flush();
  };

  private _start(): void {
    this._unsubscribe = api.subscribe(this.hass!, (change) => this._onChange(change));
    this._unsubscribe.catch((err: unknown) => (this._error = message(err)));
    this._scheduleRefresh(0);
  }

  private _onChange(change: Change): void {
    if (change.camera && this._config.camera && change.camera !== this._config.camera) return;
    this._scheduleRefresh(REFRESH_MS);
  }

  private _scheduleRefresh(delay: number): void {
    clearTimeout(this._refresh);
    this._refresh = setTimeout(() => void this._reload(), delay);
  }

  private async _reload(): Promise<void> {
    const hass = this.hass;
    if (!hass) return;
    try {
      const [items, cameras] = await Promise.all([
        api.pending(hass, this._config.camera),
        api.learning(hass, this._config.camera),
      ]);
      this._items = items;
      const ids = new Set(items.map((i) => i.id));
      this._hidden = new Set([...this._hidden].filter((id) => ids.has(id)));
      this._cameras = cameras;
      if (!this._camera || !(this._camera in cameras)) this._camera = Object.keys(cameras)[0];
      await this._reloadPeriod();
      this._error = undefined;
    } catch (err) {
      this._error = message(err);
    }
    this._loaded = true;
  }

  private async _reloadPeriod(): Promise<void> {
    const camera = this._camera;
    if (!this.hass || !camera) {
      this._timeline = undefined;
      this._tags = [];
      return;
    }
    const [timeline, tags] = await Promise.all([
      api.timeline(this.hass, camera, this._period),
      api.tags(this.hass, camera, this._period),
    ]);
    this._timeline = timeline;
    this._tags = tags;
  }

  private get _queue(): PendingItem[] {
    return visible(this._items, this._hidden, this._filter);
  }

  private get _current(): PendingItem | undefined {
    const queue = this._queue;
    return queue[Math.min(this._index, queue.length - 1)];
  }

  private _answer(answer: Answer): void {
    this._hidden = new Set([...this._hidden, answer.item.id]);
    this._picking = false;
    void this._held.hold(answer);
    this.requestUpdate();
  }

  private async _send(answer: Answer): Promise<void> {
    try {
      await api.answer(this.hass!, answer.item.id, answer.verdict, answer.label);
    } catch (err) {
      this._unhide(answer.item.id);
      this._error = this._t("undo.failed", { error: message(err) });
    }
    this.requestUpdate();
  }

  private _unhide(id: string): void {
    this._hidden = new Set([...this._hidden].filter((hidden) => hidden !== id));
  }

  private _undo(): void {
    const answer = this._held.undo();
    if (answer) this._unhide(answer.item.id);
    this.requestUpdate();
  }

  private _move(step: number): void {
    const count = this._queue.length;
    if (count) this._index = (Math.min(this._index, count - 1) + step + count) % count;
  }

  private _onKey = (event: KeyboardEvent): void => {
    const target = event.composedPath()[0] as HTMLElement | undefined;
    if (target?.tagName === "INPUT" || event.ctrlKey || event.metaKey || event.altKey) return;
    const item = this._current;
    const actions: Record<string, () => void> = {
      y: () => item && this._answer({ item, verdict: "confirmed" }),
      n: () => item && this._answer({ item, verdict: "rejected" }),
      e: () => item && this._openPicker(),
      u: () => this._undo(),
      ArrowRight: () => this._move(1),
      ArrowDown: () => this._move(1),
      ArrowLeft: () => this._move(-1),
      ArrowUp: () => this._move(-1),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  private _openPicker(): void {
    this._picking = true;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLInputElement>("#label")?.focus(),
    );
  }

  private _teach(event: Event): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>("#label");
    const item = this._current;
    if (item && input?.value.trim()) this._answer(answerFor(item, input.value));
  }

  private async _selectCell(event: CustomEvent<CellDetail>): Promise<void> {
    this._cell = event.detail;
    this._cellFrames = undefined;
    try {
      const { start, end } = event.detail;
      this._cellFrames = await api.frames(this.hass!, this._camera!, start, end);
    } catch (err) {
      this._error = message(err);
    }
  }

  private async _show(change: { period?: Period; camera?: string }): Promise<void> {
    this._period = change.period ?? this._period;
    this._camera = change.camera ?? this._camera;
    this._cell = undefined;
    try {
      await this._reloadPeriod();
    } catch (err) {
      this._error = message(err);
    }
  }

  private _cameraName(camera: string): string {
    return (
      this._cameras[camera]?.title ?? this.hass?.states[camera]?.attributes.friendly_name ?? camera
    );
  }

  override render() {
    const camera = this._config.camera;
    const title =
      this._config.title ??
      (camera ? this._t("card.title_camera", { camera: this._cameraName(camera) }) : this._t("card.title"));
    return html`
      <ha-card .header=${title}>
        <div class="content">
          ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
          ${!this._loaded
            ? html`<p class="hint">${this._t("card.loading")}</p>`
            : Object.keys(this._cameras).length === 0
              ? html`<p class="hint">${this._t("card.no_mlwatch")}</p>`
              : html`${this._renderQueue()} ${this._renderUndo()} ${this._renderPeriod()}
                ${this._renderLearning()}`}
        </div>
      </ha-card>
    `;
  }

  private _renderQueue() {
    const queue = this._queue;
    const item = this._current;
    const filter = this._filter;
    return html`
      <section class="queue" aria-label=${this._t("queue.heading")}>
        <div class="row">
          <h2>${this._t("queue.heading")}</h2>
          <span class="count">${this._t("queue.count", { count: queue.length })}</span>
          ${filter
            ? html`<button class="chip on" @click=${() => (this._filter = null)}>
                ${this._t("queue.filter", { label: filter })} ✕
              </button>`
            : nothing}
        </div>
        ${item
          ? this._renderQuestion(item)
          : html`<p class="empty">
              ${filter ? this._t("queue.empty_filtered", { label: filter }) : this._t("queue.empty")}
            </p>`}
        ${queue.length > 1
          ? html`<div class="strip">
              ${queue.map(
                (other) => html`<button
                  class="thumb ${other === item ? "current" : ""}"
                  title="${other.label} ${percent(other.score)} % · ${when(language(this.hass), other.time)}"
                  @click=${() => (this._index = queue.indexOf(other))}
                >
                  <img src=${other.crop_url} alt=${other.label} loading="lazy" />
                </button>`,
              )}
            </div>`
          : nothing}
      </section>
    `;
  }

  private _renderQuestion(item: PendingItem) {
    const lang = language(this.hass);
    const score = item.decided_by === "personal" ? item.personal_score : item.score;
    const source = `queue.source_${item.source}` as Key;
    return html`
      <div class="question" data-item=${item.id}>
        <div class="frame">
          <img src=${this._crop ? item.crop_url : item.image_url} alt=${this._t("queue.image_alt")} />
          <button class="toggle" @click=${() => (this._crop = !this._crop)}>
            ${this._crop ? this._t("queue.show_frame") : this._t("queue.show_crop")}
          </button>
        </div>
        <div class="ask">
          <p class="label">${this._t("queue.question", { label: item.label })}</p>
          <p class="meta">
            <span class="score">${this._t("queue.score", { score: percent(score) })}</span>
            · ${item.decided_by === "personal" ? this._t("queue.decided_personal") : this._t("queue.decided_base")}
            · ${this._t(source)} ${when(lang, item.time)} · ${this._cameraName(item.camera)}
          </p>
          ${this._picking ? this._renderPicker(item) : this._renderButtons(item)}
          <p class="keys">${this._t("queue.keys")}</p>
        </div>
      </div>
    `;
  }

  private _renderButtons(item: PendingItem) {
    return html`<div class="buttons">
      <button class="yes" @click=${() => this._answer({ item, verdict: "confirmed" })}>
        ${this._t("queue.yes")}
      </button>
      <button class="no" @click=${() => this._answer({ item, verdict: "rejected" })}>
        ${this._t("queue.no")}
      </button>
      <button class="else" @click=${() => this._openPicker()}>${this._t("queue.else")}</button>
    </div>`;
  }

  private _renderPicker(item: PendingItem) {
    const learning = this._cameras[item.camera];
    const quick = [...new Set([...(learning?.watched ?? []), ...Object.keys(learning?.labels ?? {})])];
    const known = new Set(learning?.known ?? []);
    return html`<form class="picker" @submit=${this._teach}>
      <label for="label">${this._t("picker.heading")}</label>
      <div class="chips">
        ${quick
          .filter((label) => label !== item.label)
          .map(
            (label) => html`<button type="button" class="chip" @click=${() => this._answer(answerFor(item, label))}>
              ${label}
            </button>`,
          )}
      </div>
      <input id="label" list="mlwatch-labels" autocomplete="off"
        placeholder=${this._t("picker.placeholder")} @input=${() => this.requestUpdate()} />
      <datalist id="mlwatch-labels">${[...known].map((label) => html`<option value=${label}></option>`)}</datalist>
      ${this._newLabel(known) ? html`<p class="hint">${this._t("picker.new_label")}</p>` : nothing}
      <div class="buttons">
        <button type="submit" class="yes">${this._t("picker.teach")}</button>
        <button type="button" @click=${() => (this._picking = false)}>${this._t("picker.cancel")}</button>
      </div>
    </form>`;
  }

  private _newLabel(known: Set<string>): boolean {
    const value = this.renderRoot?.querySelector<HTMLInputElement>("#label")?.value.trim();
    return Boolean(value) && !known.has(value!);
  }

  private _renderUndo() {
    const answer = this._held.current;
    if (!answer) return nothing;
    const key: Key = answer.label ? "undo.relabelled" : answer.verdict === "confirmed" ? "undo.confirmed" : "undo.rejected";
    return html`<div class="toast" role="status">
      <span>${this._t(key, { label: answer.label ?? answer.item.label })}</span>
      <button @click=${() => this._undo()}>${this._t("undo.undo")}</button>
    </div>`;
  }

  private _renderPeriod() {
    const cameras = Object.keys(this._cameras);
    const camera = this._camera;
    const learning = camera ? this._cameras[camera] : undefined;
    return html`
      <section class="period">
        <div class="row">
          <h2>${this._t("heatmap.heading")}</h2>
          ${!this._config.camera && cameras.length > 1
            ? html`<select aria-label=${this._t("card.camera")}
                @change=${(e: Event) => void this._show({ camera: (e.target as HTMLSelectElement).value })}>
                ${cameras.map((c) => html`<option value=${c} ?selected=${c === camera}>${this._cameraName(c)}</option>`)}
              </select>`
            : nothing}
          <span class="spacer"></span>
          ${(["day", "week"] as Period[]).map(
            (period) => html`<button class="chip ${this._period === period ? "on" : ""}"
              aria-pressed=${this._period === period} @click=${() => void this._show({ period })}>
              ${this._t(period === "day" ? "heatmap.day" : "heatmap.week")}
            </button>`,
          )}
        </div>
        <mlwatch-heatmap .hass=${this.hass} .timeline=${this._timeline} .period=${this._period}
          .thresholds=${learning?.thresholds ?? {}} .selected=${this._cell}
          @cell-selected=${this._selectCell}></mlwatch-heatmap>
        ${this._cell ? this._renderCell(this._cell) : nothing}
        <h2>${this._t("tags.heading")}</h2>
        ${this._renderTags()}
      </section>
    `;
  }

  private _renderCell(cell: CellDetail) {
    const lang = language(this.hass);
    const frames = this._cellFrames;
    return html`<div class="cell-frames">
      <div class="row">
        <strong>${cell.label} · ${this._t("heatmap.frames_in", { from: clock(lang, cell.start), to: clock(lang, cell.end) })}</strong>
        <span class="spacer"></span>
        <button class="chip" @click=${() => (this._cell = undefined)}>${this._t("heatmap.close")}</button>
      </div>
      ${frames === undefined
        ? html`<p class="hint">${this._t("card.loading")}</p>`
        : frames.length === 0
          ? html`<p class="hint">${this._t("heatmap.no_frames")}</p>`
          : html`<ul>
              ${frames.map(
                (f) => html`<li>
                  <span class="time">${new Date(f.time * 1000).toLocaleTimeString(lang)}</span>
                  <span class="score">${cell.label} ${percent(f.scores[cell.label])} %</span>
                  <span class="top">${f.top.map((t) => `${t} ${percent(f.scores[t])} %`).join(" · ")}</span>
                </li>`,
              )}
            </ul>`}
    </div>`;
  }

  private _renderTags() {
    const tags = this._tags;
    if (!tags.length) return html`<p class="hint">${this._t("tags.empty")}</p>`;
    const most = Math.max(...tags.map((t) => t.count));
    return html`<div class="tags">
      ${tags.map((tag) => {
        const size = 0.8 + 1.1 * (Math.log(tag.count + 1) / Math.log(most + 1));
        return html`<button class="tag ${this._filter === tag.label ? "on" : ""}" style="font-size: ${size.toFixed(2)}em"
          title=${this._t("tags.count", { label: tag.label, count: tag.count })}
          aria-pressed=${this._filter === tag.label}
          @click=${() => {
            this._filter = this._filter === tag.label ? null : tag.label;
            this._index = 0;
          }}>${tag.label}</button>`;
      })}
    </div>`;
  }

  private _renderLearning() {
    const camera = this._camera;
    const learning = camera ? this._cameras[camera] : undefined;
    if (!learning) return nothing;
    const labels = Object.entries(learning.labels);
    return html`<section class="learning">
      <h2>${this._t("learning.heading")}</h2>
      ${!learning.available
        ? html`<p class="hint">${this._t("learning.unavailable")}</p>`
        : labels.length === 0
          ? html`<p class="hint">${this._t("learning.none")}</p>`
          : html`<table>
              <thead><tr>
                <th>${this._t("learning.label")}</th><th>${this._t("learning.answers")}</th>
                <th>${this._t("learning.base_f1")}</th><th>${this._t("learning.personal_f1")}</th>
                <th>${this._t("learning.state")}</th>
              </tr></thead>
              <tbody>${labels.map(
                ([label, s]) => html`<tr data-label=${label}>
                  <td>${label}${s.kind === "new" ? html` <span class="badge">${this._t("learning.new")}</span>` : nothing}</td>
                  <td>${this._t("learning.answers_value", { positives: s.positives, negatives: s.negatives })}</td>
                  <td>${f1(s.base_f1)}</td><td>${f1(s.personal_f1)}</td>
                  <td><span class="state ${s.state}">${this._t(`learning.state_${s.state}` as Key)}</span></td>
                </tr>`,
              )}</tbody>
            </table>`}
    </section>`;
  }

  static override styles = cardStyles;
}

function f1(value: number | null): string {
  return value === null ? "—" : value.toFixed(2);
}

function message(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String(err.message);
  return String(err);
}
