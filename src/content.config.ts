/**
 * The docs collection. Pages are authored in the top-level `content/docs/` (content is kept apart
 * from code), so this uses Astro's glob loader with that base instead of Starlight's docsLoader,
 * which only reads `src/content/docs/`. The pattern is docsLoader's: Markdown and MDX, and files
 * whose name starts with `_` are not pages.
 */
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
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
    loader: glob({ base: './content/docs', pattern: '**/[^_]*.{md,mdx}' }),
    schema: docsSchema({ extend: labFrontmatter }),
  }),
};
