// The parts of Home Assistant's frontend objects and of mlwatch's websocket answers the card uses.

export interface HomeAssistant {
  callWS<T>(msg: Record<string, unknown>): Promise<T>;
  connection: {
    subscribeMessage<T>(
      callback: (message: T) => void,
      msg: Record<string, unknown>,
    ): Promise<() => Promise<void>>;
  };
  locale?: { language: string };
  language?: string;
  themes?: { darkMode?: boolean };
  states: Record<string, { attributes: { friendly_name?: string } } | undefined>;
}

export interface CardConfig {
  type: string;
  camera?: string;
  period?: Period;
  title?: string;
}

export type Period = "day" | "week";

export interface PendingItem {
  id: string;
  camera: string;
  label: string;
  source: "detection" | "review" | "manual";
  score: number | null;
  personal_score: number | null;
  decided_by: "base" | "personal";
  scores: Record<string, number>;
  time: number;
  image_url: string;
  crop_url: string;
}

export interface LabelLearning {
  state: "learning" | "shadow" | "active";
  kind: "base" | "new";
  positives: number;
  negatives: number;
  personal_f1: number | null;
  base_f1: number | null;
  version: number | null;
  threshold: number;
  suggested_threshold: number | null;
}

export interface CameraLearning {
  entry_id: string;
  title: string;
  available: boolean;
  labels: Record<string, LabelLearning>;
  watched: string[];
  known: string[];
  thresholds: Record<string, number>;
}

export interface Timeline {
  start: number;
  bucket: number;
  labels: Record<string, (number | null)[]>;
  episodes: Record<string, number[]>;
  frames: number[];
}

export interface Tag {
  label: string;
  count: number;
}

export interface FrameRecord {
  time: number;
  top: string[];
  scores: Record<string, number>;
}

export interface Change {
  reason: "dataset" | "detection" | "question" | "learning";
  camera: string | null;
}
