// src/server/plugins/store.ts — opens the SQLite store under the data folder and decorates the app
// with `catalog` (characters, uploads, datasets, artifacts) and `jobStore`; closes it on shutdown. The
// database stays locked while the app is open: a second server on the same folder refuses to start.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CatalogStore } from '../../jobs/catalog-store.js';
import { DATABASE_FILE } from '../../jobs/data-layout.js';
import { openDatabase, upgradeLine } from '../../jobs/database.js';
import { JobStore } from '../../jobs/job-store.js';
import { operatorLine, reportInternalError } from './errors.js';

export interface StoreOptions {
  /** The data folder (created when missing): database + every stored file. */
  dataDir: string;
}

async function storePlugin(app: FastifyInstance, options: StoreOptions): Promise<void> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, DATABASE_FILE), {
    exclusive: true, // one server per data folder
    // an older toonlora's database: copied, then upgraded; its start line names the copy (the way back)
    onUpgraded: (upgrade) => operatorLine(app.log, 'info', { upgrade }, upgradeLine(upgrade)),
  });
  app.decorate('dataDir', dataDir);
  app.decorate('catalog', new CatalogStore(db, dataDir));
  app.decorate(
    'jobStore',
    new JobStore(db, {
      reportListenerError: (error) => reportInternalError(app, 'a job change listener', error),
    }),
  );
  app.addHook('onClose', async () => {
    db.close();
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    dataDir: string;
    catalog: CatalogStore;
    jobStore: JobStore;
  }
}

export default fp(storePlugin, { name: 'toonlora-store', fastify: '5.x' });
