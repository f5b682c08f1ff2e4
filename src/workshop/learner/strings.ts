/**
 * What workshop mode says to the learner: Starlight's i18n strings under `lab.workshop.` (the
 * page carries them as JSON with the terminal's), shaped here. `{{name}}` marks a value; a key the
 * page lacks shows as itself. No DOM: the unit tests call it.
 */
import { format, type UiStrings } from '../../terminal/strings.ts';

export interface QueuePlace {
  reason: 'room-full' | 'memory';
  position: number;
  of: number;
  retryAfter: number | null;
}

export class LearnerStrings {
  readonly #strings: UiStrings;
  readonly #ordinals: Intl.PluralRules;

  constructor(strings: UiStrings, lang: string) {
    this.#strings = strings;
    this.#ordinals = new Intl.PluralRules(lang || 'en', { type: 'ordinal' });
  }

  get(key: string, values?: Record<string, string | number>): string {
    return format(this.#strings[`lab.workshop.${key}`] ?? `lab.workshop.${key}`, values);
  }

  /** 3 as "3rd" in English, "3" where a language's sentence says the ordinal itself. */
  ordinal(n: number): string {
    const category = this.#ordinals.select(n);
    const key = `lab.workshop.ordinal.${category}`;
    return format(this.#strings[key] ?? this.#strings['lab.workshop.ordinal.other'] ?? '{{n}}', { n });
  }

  /** The dock's full message for a place in the queue. */
  queue(place: QueuePlace): string {
    if (place.reason === 'memory') return place.retryAfter === null ? this.get('queue.memoryNoTime') : this.get('queue.memory', { seconds: place.retryAfter });
    return this.get('queue.roomFull', { place: this.ordinal(place.position), position: place.position, of: place.of });
  }

  /** The dock bar's short label, and why a Run waits. */
  queueShort(place: QueuePlace): string {
    return this.get(place.reason === 'memory' ? 'queue.shortMemory' : 'queue.short');
  }

  queueBlock(place: QueuePlace): string {
    return this.get(place.reason === 'memory' ? 'queue.blockMemory' : 'queue.block');
  }

  /** A page's count in the sidebar: what is shown, and what is said. */
  count(passed: number, total: number): { shown: string; said: string } {
    return { shown: this.get('progress.count', { passed, total }), said: this.get('progress.label', { passed, total }) };
  }
}
