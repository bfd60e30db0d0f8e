// mlwatch's websocket commands, typed.
import type {
  CameraLearning,
  Change,
  FrameRecord,
  HomeAssistant,
  PendingItem,
  Period,
  Tag,
  Timeline,
} from "./types";

export const PERIODS: Record<Period, { hours: number; bucket_minutes: number }> = {
  day: { hours: 24, bucket_minutes: 10 },
  week: { hours: 24 * 7, bucket_minutes: 60 },
};

export async function pending(hass: HomeAssistant, camera?: string): Promise<PendingItem[]> {
  const msg = camera ? { type: "mlwatch/pending", camera } : { type: "mlwatch/pending" };
  return (await hass.callWS<{ items: PendingItem[] }>(msg)).items;
}

export async function answer(
  hass: HomeAssistant,
  itemId: string,
  verdict: "confirmed" | "rejected",
  label?: string,
): Promise<void> {
  const msg: Record<string, unknown> = { type: "mlwatch/answer", item_id: itemId, verdict };
  if (label) msg.label = label;
  await hass.callWS(msg);
}

export async function learning(
  hass: HomeAssistant,
  camera?: string,
): Promise<Record<string, CameraLearning>> {
  const msg = camera ? { type: "mlwatch/learning", camera } : { type: "mlwatch/learning" };
  return (await hass.callWS<{ cameras: Record<string, CameraLearning> }>(msg)).cameras;
}

export function timeline(hass: HomeAssistant, camera: string, period: Period): Promise<Timeline> {
  return hass.callWS<Timeline>({ type: "mlwatch/timeline", camera, ...PERIODS[period] });
}

export async function tags(hass: HomeAssistant, camera: string, period: Period): Promise<Tag[]> {
  const msg = { type: "mlwatch/tags", camera, hours: PERIODS[period].hours };
  return (await hass.callWS<{ tags: Tag[] }>(msg)).tags;
}

export async function frames(
  hass: HomeAssistant,
  camera: string,
  start: number,
  end: number,
): Promise<FrameRecord[]> {
  const msg = { type: "mlwatch/frames", camera, start, end, limit: 50 };
  return (await hass.callWS<{ frames: FrameRecord[] }>(msg)).frames;
}

export function subscribe(
  hass: HomeAssistant,
  onChange: (change: Change) => void,
): Promise<() => Promise<void>> {
  return hass.connection.subscribeMessage<Change>(onChange, { type: "mlwatch/subscribe" });
}
