import { inspectImage } from "../../docker/images";
import { createLimiter } from "../../engine/limiter";
import { AGENT_ARCHITECTURES } from "./agent-binary";
import { startRunner, type Runner, type RunnerEnvironment } from "./runner";
import type { ImageObject } from "../docker-objects";

/** The image label by which a resource type declares that its invocations may share a runner. */
export const LABEL_REUSABLE = "deployster.reusable";
/** Runners replaced (gone: their agent or container ended) per key before its invocations fall back to fresh containers. */
export const MAX_REPLACEMENTS = 3;

export interface RunnerPoolOptions extends RunnerEnvironment {
  /** A one-line notice (once per image and mounts) when a reusable image gets no runner. */
  onNotice(message: string): void;
  /** Runners starting at once, at most (default 10); the others wait their turn. */
  maxStarting?: number;
  /** Called for every runner started (a container created). */
  onStart?(): void;
}

interface ImageFacts {
  reusable: boolean;
  entrypoint: string[];
  cmd: string[];
  /** Why no runner can serve this image, if so. */
  unfit?: string;
}

/** The command `docker run IMAGE` would run with this entrypoint/args override (empty: none). */
export function resolveCommand(facts: Pick<ImageFacts, "entrypoint" | "cmd">, entrypoint?: string, args?: string[]): string[] {
  const given = args && args.length > 0 ? args : undefined;
  // As the engine does: an overridden entrypoint drops the image's default arguments.
  if (entrypoint) return [entrypoint, ...(given ?? [])];
  return [...facts.entrypoint, ...(given ?? facts.cmd)];
}

export interface RunnerLease {
  runner: Runner;
  /** The full command line to exec (the image's entrypoint resolved). */
  cmd: string[];
}

/**
 * The runners of one run: at most one live runner per (image, plug mounts with their
 * read-only/read-write modes), so resources whose plugs or permissions differ never share
 * one. Images without the LABEL_REUSABLE label, and any runner that cannot start, are served
 * by fresh containers (the caller's default); close() stops every runner.
 */
export class RunnerPool {
  private readonly facts = new Map<string, Promise<ImageFacts | undefined>>();
  private readonly live = new Map<string, Promise<Runner | undefined>>();
  private readonly started = new Set<Runner>();
  private readonly replaced = new Map<string, number>();
  private closed = false;
  private closing?: Promise<void>;
  private readonly starting;

  constructor(private readonly o: RunnerPoolOptions) {
    this.starting = createLimiter(o.maxStarting ?? 10);
  }

  /** A runner for this invocation, or undefined: run it in a fresh container. */
  async acquire(image: string, mounts: string[], entrypoint?: string, args?: string[]): Promise<RunnerLease | undefined> {
    if (this.closed) return undefined;
    const facts = await this.factsOf(image);
    if (!facts?.reusable) return undefined;
    const cmd = resolveCommand(facts, entrypoint, args);
    if (cmd.length === 0) return undefined;
    const key = JSON.stringify([image, mounts]);
    if (facts.unfit) {
      if (!this.live.has(key)) {
        this.live.set(key, Promise.resolve(undefined));
        this.o.onNotice(`no runner for '${image}' (${facts.unfit}): its invocations run in fresh containers`);
      }
      return undefined;
    }
    for (;;) {
      let pending = this.live.get(key);
      if (!pending) {
        pending = this.start(image, mounts);
        this.live.set(key, pending);
      }
      const runner = await pending;
      if (!runner) return undefined;
      if (runner.usable) return { runner, cmd };
      // Gone: a new one, unless they keep going (then fresh containers).
      if (this.closed) return undefined;
      if (this.live.get(key) === pending) {
        const n = (this.replaced.get(key) ?? 0) + 1;
        this.replaced.set(key, n);
        if (n > MAX_REPLACEMENTS) {
          this.live.set(key, Promise.resolve(undefined));
          this.o.onNotice(`no more runners for '${image}' (${MAX_REPLACEMENTS} were replaced in this run): its invocations run in fresh containers`);
          return undefined;
        }
        this.live.delete(key);
      }
    }
  }

  /**
   * Starts the runner an invocation will use, if any, without waiting for it: invocations
   * call this before they wait for a parallelism slot, so the runners of every type start at
   * once instead of each when its type's first invocation gets a slot.
   */
  prepare(image: string, mounts: string[], entrypoint?: string, args?: string[]): void {
    this.acquire(image, mounts, entrypoint, args).catch(() => {});
  }

  /**
   * Stops every runner (end of run, error, abort); later acquires get none. Every call waits
   * for the same stops, so the last caller before the process exits sees them done.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      // Runners still starting are stopped by start() once it sees `closed`.
      await Promise.allSettled([...this.started].map((r) => r.stop()));
    })();
    return this.closing;
  }

  private async start(image: string, mounts: string[]): Promise<Runner | undefined> {
    try {
      const runner = await this.starting.run(() => (this.closed ? Promise.reject(new Error("the run has ended")) : startRunner(this.o, image, mounts)));
      this.o.onStart?.();
      if (this.closed) {
        await runner.stop();
        return undefined;
      }
      this.started.add(runner);
      return runner;
    } catch (err) {
      if (!this.closed) this.o.onNotice(`no runner for '${image}' (${(err as Error).message}): its invocations run in fresh containers`);
      return undefined;
    }
  }

  /** An image inspection made anyway (the init cache key), saving the pool its own. */
  primeImage(image: string, info: ImageObject | null): void {
    if (info && !this.facts.has(image)) this.facts.set(image, Promise.resolve(imageFacts(info)));
  }

  private factsOf(image: string): Promise<ImageFacts | undefined> {
    let p = this.facts.get(image);
    if (!p) {
      p = inspectImage(this.o.docker, image).then(
        (info) => (info ? imageFacts(info) : undefined),
        () => undefined,
      );
      this.facts.set(image, p);
    }
    return p;
  }
}

function imageFacts(info: ImageObject): ImageFacts {
  const config = info?.Config ?? {};
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const os = String(info?.Os ?? "linux");
  const arch = String(info?.Architecture ?? "");
  const unfit = os !== "linux" || !AGENT_ARCHITECTURES.includes(arch) ? `no runner agent for ${os}/${arch}` : undefined;
  return { reusable: config.Labels?.[LABEL_REUSABLE] === "true", entrypoint: list(config.Entrypoint), cmd: list(config.Cmd), unfit };
}
