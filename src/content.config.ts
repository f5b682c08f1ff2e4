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
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
import { z } from 'astro/zod';

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

export const collections = {
  docs: defineCollection({
    loader: docsLoader(),
    schema: docsSchema({ extend: labFrontmatter }),
  }),
};
