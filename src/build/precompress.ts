/**
 * An Astro integration that writes a brotli (`.br`) and a gzip (`.gz`) copy beside each text file
 * of the built site, once, at build time, so the runner serves them without compressing per
 * request (runner/server.ts picks one by Accept-Encoding). Runs after the other integrations'
 * build hooks (list it last), so Starlight's search index is there to be compressed too.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { AstroIntegration } from 'astro';

/** What compresses well; images other than SVG, fonts and Pagefind's fragments are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|xml|webmanifest|map)$/;
/** Below this, a compressed copy saves less than the response's headers weigh. */
const MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Compresses every compressible file of `dir`; returns how many files got copies, and the bytes before and after (brotli). */
export async function precompressDir(dir: string): Promise<{ files: number; bytes: number; brotliBytes: number }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile() && COMPRESSIBLE.test(entry.name)).map((entry) => join(entry.parentPath, entry.name));
  let count = 0;
  let bytes = 0;
  let brotliBytes = 0;
  await Promise.all(
    files.map(async (file) => {
      if ((await stat(file)).size < MIN_BYTES) return;
      const data = await readFile(file);
      const [br, gz] = await Promise.all([
        brotli(data, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
        gzipped(data, { level: constants.Z_BEST_COMPRESSION }),
      ]);
      // A copy that is not smaller is not worth a request's negotiation.
      if (br.length < data.length) await writeFile(`${file}.br`, br);
      if (gz.length < data.length) await writeFile(`${file}.gz`, gz);
      count += 1;
      bytes += data.length;
      brotliBytes += Math.min(br.length, data.length);
    }),
  );
  return { files: count, bytes, brotliBytes };
}

export function precompress(): AstroIntegration {
  return {
    name: 'lab-precompress',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const { files, bytes, brotliBytes } = await precompressDir(fileURLToPath(dir));
        logger.info(`${files} files compressed (brotli and gzip): ${Math.round(bytes / 1024)} KiB to ${Math.round(brotliBytes / 1024)} KiB in brotli`);
      },
    },
  };
}
