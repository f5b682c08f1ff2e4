/**
 * The docs collection: Starlight's loader and frontmatter schema, plus this site's `lab` field.
 *
 * Pages are authored in the top-level `content/docs/` (content is kept apart from code).
 * Starlight reads `src/content/docs/`, and also works out a page's language from its path under
 * that folder (the titles of asides, labels of code blocks, for English pages), so
 * `src/content/docs` is a symbolic link to `../../content/docs`, and Vite keeps the link's path
 * (`preserveSymlinks` in astro.config.mjs) instead of resolving it to the real one.
 */
import { defineCollection } from 'astro:content';
import { docsLoader, i18nLoader } from '@astrojs/starlight/loaders';
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema';
import { z } from 'astro/zod';
import { DEFAULT_STRINGS, type LabStringKey } from './components/lab-strings.ts';

/**
 * Frontmatter this site adds to Starlight's:
 *
 *   lab:
 *     terminal: true   # put the live lab terminal on this page, after its content
 *
 * Absent or `terminal: false`: a plain page with no terminal and no terminal JavaScript.
 */
const labFrontmatter = z.object({
  lab: z.strictObject({ terminal: z.boolean().default(false) }).optional(),
});

/**
 * The lab's UI strings, added to Starlight's (src/content/i18n/<lang>.json; `Astro.locals.t` reads
 * them). The default locale's file (zh-CN) names every key; a key another locale lacks falls back
 * to it, Starlight's one rule. Both files also name Expressive Code's three strings (the copy
 * button's): Starlight ships none for English, where they are Expressive Code's own defaults, so
 * under a Chinese default locale an English page's code blocks would otherwise fall back to Chinese.
 */
const labStrings = z.object(
  Object.fromEntries(Object.keys(DEFAULT_STRINGS).map((key) => [key, z.string().min(1).optional()])) as { [K in LabStringKey]: z.ZodOptional<z.ZodString> },
);

export const collections = {
  docs: defineCollection({
    loader: docsLoader(),
    schema: docsSchema({ extend: labFrontmatter }),
  }),
  i18n: defineCollection({
    loader: i18nLoader(),
    schema: i18nSchema({ extend: labStrings }),
  }),
};
