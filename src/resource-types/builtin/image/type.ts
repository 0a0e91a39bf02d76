import { inspectImage, registryAuthHeader } from "../../../docker/index";
import type { DockerClient } from "../../../docker/client";
import { BurstCache } from "../common/burst-cache";
import type { ActionSpec, ResourceType } from "../../../engine/resource-type";
import { pullWithProgress } from "../common/pull";
import { builtinInit, makeLog, unknownAction, type ActionRequest, type BuiltinTypeOptions, type StateRequest } from "../common/runtime";
import { IMAGE_TYPE, imageConfigSchema, normalizeImageConfig, planImage } from "./spec";

/** The registry's manifest digest for `ref` (GET /distribution/{name}/json); read-only. */
export async function fetchRemoteDigest(d: DockerClient, ref: string, signal?: AbortSignal): Promise<string> {
  const r = await d.json<{ Descriptor?: { digest?: string } }>("GET", `/distribution/${ref}/json`, {
    headers: { "X-Registry-Auth": registryAuthHeader(ref) },
    signal,
    timeoutMs: 30_000,
  });
  if (!r?.Descriptor?.digest) throw new Error("the registry answered without a digest");
  return r.Descriptor.digest;
}

export function createImageType(opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  return {
    type: IMAGE_TYPE,
    async init() {
      return builtinInit(imageConfigSchema);
    },
    async state(req: StateRequest, _init, _mounts, io) {
      const d = opts.docker();
      const spec = normalizeImageConfig(req.config);
      const inspect = await inspectImage(d, spec.reference);
      let remote: string | null | undefined = null;
      if (inspect && spec.pull === "always") {
        try {
          remote = await fetchRemoteDigest(d, spec.reference, io.signal);
        } catch (err) {
          // An unreachable registry must not turn a present image into a perpetual diff.
          remote = undefined;
          makeLog(io)(`warning: cannot check ${spec.reference} in its registry (${(err as Error).message}); keeping the local image`);
        }
      }
      return planImage(spec, inspect, remote);
    },
    action(req: ActionRequest, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        if (action.name !== "pull") unknownAction(IMAGE_TYPE, action);
        const spec = normalizeImageConfig(req.config);
        await pullWithProgress(opts.docker(), spec.reference, makeLog(io), io.signal);
      });
    },
  };
}
