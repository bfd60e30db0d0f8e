// Registers the card, its editor and its entry in the dashboard's card picker.
import { MlwatchReviewCard } from "./card";
import { MlwatchReviewCardEditor } from "./editor";
import { MlwatchHeatmap } from "./heatmap";
import { localize } from "./localize";

const elements: [string, CustomElementConstructor][] = [
  ["mlwatch-review-card", MlwatchReviewCard],
  ["mlwatch-review-card-editor", MlwatchReviewCardEditor],
  ["mlwatch-heatmap", MlwatchHeatmap],
];
let registry: CustomElementRegistry | undefined;

/** Define the elements in the page's registry, once per registry. */
function define(): void {
  if (window.customElements === registry) return;
  const first = registry === undefined;
  registry = window.customElements;
  for (const [name, element] of elements) {
    // A registry that replaced the first one needs classes it has not seen.
    if (!registry.get(name)) registry.define(name, first ? element : class extends element {});
  }
}

// The frontend may load this module before its own code, which can install a registry of its
// own (a scoped-registry polyfill) and lose what was defined in the old one: watch for a while.
define();
const started = Date.now();
const watch = setInterval(() => {
  define();
  if (Date.now() - started > 30_000) clearInterval(watch);
}, 200);

interface CustomCard {
  type: string;
  name: string;
  description: string;
  preview: boolean;
  documentationURL: string;
}
const cards = ((window as unknown as { customCards?: CustomCard[] }).customCards ??= []);
if (!cards.some((card) => card.type === "mlwatch-review-card")) {
  cards.push({
    type: "mlwatch-review-card",
    name: localize(undefined, "picker_card.name"),
    description: localize(undefined, "picker_card.description"),
    preview: true,
    documentationURL: "https://github.com/mlwatch/mlwatch#the-review-card",
  });
}
