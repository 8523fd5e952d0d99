/** Starting a worker thread from the built package or, in development, from the TypeScript sources. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the module `name` (no extension) next to `base` (the caller's import.meta.url).
 * From sources (`base` ends in .ts: tests, development) tsx is registered inside the worker
 * first; the built package loads plain .js and never touches tsx (a dev dependency).
 */
export function spawnWorker(base: string, name: string, opts: WorkerOptions): Worker {
  if (base.endsWith('.ts')) {
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL(`./${name}.ts`, base).href)}); })`;
    return new Worker(boot, { ...opts, eval: true });
  }
  return new Worker(new URL(`./${name}.js`, base), opts);
}
