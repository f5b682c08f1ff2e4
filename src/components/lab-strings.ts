/**
 * The lab's UI strings: Starlight's i18n collection (src/content/i18n/<lang>.json, read in
 * components with `Astro.locals.t`). One fallback rule everywhere, Starlight's: a string a locale
 * lacks is the default locale's (zh-CN, the root). Browser code gets the strings it needs from the
 * page (`pick`, rendered as JSON by the component that loads it) and fills `{{name}}` with
 * `format` (src/terminal/strings.ts); build-time code without `Astro.locals` (the code-block transform) uses `uiString`.
 */
import zh from '../content/i18n/zh-CN.json' with { type: 'json' };
import en from '../content/i18n/en.json' with { type: 'json' };
import { format } from '../terminal/strings.ts';

/** Every key the lab has: the default locale's file names them all. */
export type LabStringKey = keyof typeof zh;

/** The default locale's strings. */
export const DEFAULT_STRINGS: Readonly<Record<LabStringKey, string>> = zh;
const BY_LANG: Readonly<Record<string, Readonly<Record<string, string>>>> = { 'zh-CN': zh, en };

/** The lab's strings under `prefix` (`lab.terminal.`), as `translate` gives them, placeholders kept. */
export function pick(translate: (key: LabStringKey) => string, prefix: string): Record<string, string> {
  const keys = Object.keys(DEFAULT_STRINGS) as LabStringKey[];
  return Object.fromEntries(keys.filter((key) => key.startsWith(prefix)).map((key) => [key, translate(key)]));
}

/** The string `key` for a page language, with the default locale's where that language has none. */
export function uiString(lang: string | undefined, key: string, values: Record<string, string | number> = {}): string {
  const own = lang ? (BY_LANG[lang] ?? BY_LANG[lang.split('-')[0] ?? '']) : undefined;
  return format(own?.[key] ?? (DEFAULT_STRINGS as Record<string, string>)[key] ?? key, values);
}
