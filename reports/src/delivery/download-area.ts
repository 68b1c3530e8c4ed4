import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { PulseError } from '@pulse/core';

export interface DownloadAreaOptions {
  /** Where files live, e.g. `<PULSE_DATA_DIR>/downloads`. */
  dir: string;
  /** The server secret; the link-signing key is derived from it for this one purpose. */
  serverSecret: string;
  /** The URL people reach Pulse at (PULSE_PUBLIC_URL), for links that leave the process. */
  /** Where users reach Pulse; a function when it is known only once the server listens. */
  publicUrl: string | (() => string);
}

export interface SignedLink {
  url: string;
  expiresAt: Date;
}

/**
 * Report files on disk with expiring links: `/api/v1/downloads/<path>?expires=<unix s>&signature=…`
 * where the signature is an HMAC of the path and expiry. The link is the credential (it goes out
 * in e-mails to people without a Pulse account), so it names one file and stops working after
 * its expiry; changing either part breaks the signature.
 */
export function createDownloadArea(options: DownloadAreaOptions) {
  const root = resolve(options.dir);
  const key = Buffer.from(hkdfSync('sha256', options.serverSecret, 'pulse-reports', 'download-links', 32));
  const sign = (path: string, expires: number) =>
    createHmac('sha256', key).update(`${path}\n${expires}`).digest('base64url');
  const base = () =>
    (typeof options.publicUrl === 'function' ? options.publicUrl() : options.publicUrl).replace(/\/+$/, '');
  const area = {
    root,
    /** The folder name of a run: its id with everything but [A-Za-z0-9_-] replaced. */
    folderOf: (runId: string) => runId.replace(/[^A-Za-z0-9_-]/g, '_'),
    absolute(path: string): string {
      const file = resolve(root, path);
      if (!file.startsWith(root + sep))
        throw new PulseError('DOWNLOAD_NOT_FOUND', 'no such download', { context: { path } });
      return file;
    },
    exists: (path: string) => existsSync(area.absolute(path)),
    /**
     * Writes a file through `write` into a temporary name and renames it into place, so a crash
     * never leaves a half-written file that a retry would mistake for a finished one.
     */
    async write<T>(path: string, write: (out: NodeJS.WritableStream) => Promise<T>): Promise<T> {
      const file = area.absolute(path);
      mkdirSync(resolve(file, '..'), { recursive: true });
      const partial = `${file}.partial`;
      try {
        const result = await write(createWriteStream(partial));
        renameSync(partial, file);
        return result;
      } catch (err) {
        rmSync(partial, { force: true });
        throw err;
      }
    },
    link(path: string, expiresAt: Date): SignedLink {
      const expires = Math.floor(expiresAt.getTime() / 1000);
      const encoded = path.split('/').map(encodeURIComponent).join('/');
      return {
        url: `${base()}/api/v1/downloads/${encoded}?expires=${expires}&signature=${sign(path, expires)}`,
        expiresAt: new Date(expires * 1000),
      };
    },
    /** The file a link names, once its signature and expiry are checked. */
    verify(path: string, expires: string | undefined, signature: string | undefined, now: Date) {
      const at = Number(expires);
      const expected = Number.isInteger(at) ? Buffer.from(sign(path, at)) : Buffer.alloc(0);
      const given = Buffer.from(signature ?? '');
      if (expected.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new PulseError('DOWNLOAD_LINK_INVALID', 'this download link is not valid', {
          hint: 'Copy the whole link from the e-mail or message, or ask for a new one.',
        });
      if (at * 1000 <= now.getTime())
        throw new PulseError('DOWNLOAD_LINK_EXPIRED', 'this download link has expired', {
          hint: 'Ask for a new link from the report’s run history.',
        });
      const file = area.absolute(path);
      if (!existsSync(file) || !statSync(file).isFile())
        throw new PulseError('DOWNLOAD_NOT_FOUND', 'the file of this link was removed', {
          hint: 'Run the report again to get a fresh file.',
        });
      return file;
    },
    /** Removes a run's files (when its run is deleted or pruned). */
    removeRun(runId: string): void {
      rmSync(join(root, area.folderOf(runId)), { recursive: true, force: true });
    },
  };
  return area;
}

export type DownloadArea = ReturnType<typeof createDownloadArea>;
