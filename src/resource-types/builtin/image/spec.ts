/** deployster/docker-image: config schema, normalised spec and state (pure). */
import { normalizeImageReference, parseImageReference } from "../../../docker/reference";
import { shortId } from "../common/hash";
import type { ImageObject } from "../../docker-objects";

export const IMAGE_TYPE = "deployster/docker-image";

export const imageConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["reference"],
  properties: {
    reference: { type: "string", minLength: 1, pattern: "^[^\\s]+$", description: "Image reference, e.g. registry:5000/app:v2" },
    pull: {
      enum: ["missing", "always"],
      description: "missing: pull only when absent (default); always: pull whenever the registry's digest differs from the local image",
    },
  },
} as const;

export interface ImageSpec {
  reference: string;
  pull: "missing" | "always";
}

export function normalizeImageConfig(config: Record<string, unknown>): ImageSpec {
  return {
    reference: normalizeImageReference(String(config.reference)),
    pull: (config.pull as ImageSpec["pull"] | undefined) ?? "missing",
  };
}

/** The local image's digest for the reference's repository, from RepoDigests (`repo@sha256:...`). */
export function localDigest(inspect: ImageObject, reference: string): string | null {
  const repo = parseImageReference(reference).repository;
  const digests: string[] = inspect?.RepoDigests ?? [];
  const match = digests.find((d) => d.startsWith(`${repo}@`)) ?? null;
  return match ? match.slice(match.indexOf("@") + 1) : null;
}

/** What dependents see: `{{ img.state.id }}` (use it as a container's image to pin it). */
export function extractImageState(inspect: ImageObject, reference: string): Record<string, unknown> {
  return {
    id: inspect.Id,
    short_id: shortId(inspect.Id),
    reference,
    digest: localDigest(inspect, reference),
    size: inspect.Size ?? null,
    created: inspect.Created ?? null,
  };
}

/** `remoteDigest`: null = not asked (pull: missing), undefined = the registry could not be asked. */
export function planImage(spec: ImageSpec, inspect: ImageObject | null, remoteDigest?: string | null) {
  if (!inspect) {
    return { status: "STALE" as const, actions: [{ name: "pull", description: `pull ${spec.reference} (not present)` }] };
  }
  const state = extractImageState(inspect, spec.reference);
  const local = state.digest as string | null;
  if (spec.pull === "always" && remoteDigest && remoteDigest !== local) {
    return {
      status: "STALE" as const,
      staleState: state,
      actions: [
        {
          name: "pull",
          description: `pull ${spec.reference} (registry has ${shortId(remoteDigest)}, local ${local ? shortId(local) : "has no digest"})`,
        },
      ],
    };
  }
  return { status: "VALID" as const, state };
}
