// Times and scores as the user reads them.

export function clock(lang: string, seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

export function when(lang: string, seconds: number): string {
  const date = new Date(seconds * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? clock(lang, seconds)
    : date.toLocaleString(lang, { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

export function percent(score: number | null | undefined): string {
  return score === null || score === undefined ? "—" : `${Math.round(score * 100)}`;
}
