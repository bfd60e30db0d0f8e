// Every string the card shows, by key, in the user's language (English when there is none).
import en from "./translations/en.json";
import type { HomeAssistant } from "./types";

export type Key = keyof typeof en;
const LANGUAGES: Record<string, Partial<Record<Key, string>>> = { en };

export function language(hass?: HomeAssistant): string {
  return hass?.locale?.language ?? hass?.language ?? "en";
}

export function localize(
  hass: HomeAssistant | undefined,
  key: Key,
  values: Record<string, string | number> = {},
): string {
  const lang = language(hass);
  const table = LANGUAGES[lang] ?? LANGUAGES[lang.split("-")[0]] ?? en;
  const text = table[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}
