// The card's visual editor: which camera, which heat-map period, an optional title.
import { LitElement, html, nothing } from "lit";
import * as api from "./api";
import { localize, type Key } from "./localize";
import type { CardConfig, HomeAssistant } from "./types";

const LABELS: Record<string, Key> = {
  camera: "editor.camera",
  period: "editor.period",
  title: "editor.title",
};

export class MlwatchReviewCardEditor extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _cameras: { state: true },
  };

  hass?: HomeAssistant;
  private _config?: CardConfig;
  private _cameras?: string[];

  setConfig(config: CardConfig): void {
    this._config = config;
  }

  protected override updated(): void {
    if (this.hass && this._cameras === undefined) {
      this._cameras = [];
      api.learning(this.hass).then(
        (cameras) => (this._cameras = Object.keys(cameras)),
        () => undefined,
      );
    }
  }

  private _schema() {
    const periods = [
      { value: "day", label: localize(this.hass, "heatmap.day") },
      { value: "week", label: localize(this.hass, "heatmap.week") },
    ];
    return [
      { name: "camera", selector: { entity: { include_entities: this._cameras ?? [] } } },
      { name: "period", selector: { select: { options: periods, mode: "dropdown" } } },
      { name: "title", selector: { text: {} } },
    ];
  }

  private _changed(event: CustomEvent<{ value: CardConfig }>): void {
    const config = { ...event.detail.value };
    for (const key of ["camera", "title"] as const) if (!config[key]) delete config[key];
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
  }

  override render() {
    if (!this.hass || !this._config) return nothing;
    return html`<ha-form
      .hass=${this.hass}
      .data=${{ period: "day", ...this._config }}
      .schema=${this._schema()}
      .computeLabel=${(field: { name: string }) => localize(this.hass, LABELS[field.name])}
      @value-changed=${this._changed}
    ></ha-form>`;
  }
}
