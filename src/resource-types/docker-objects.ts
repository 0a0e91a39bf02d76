/**
 * The Docker objects resource types read, named once: each is exactly what the src/docker
 * call that fetches it returns, so the types follow src/docker's response types.
 */
import type { inspectContainer } from "../docker/containers";
import type { inspectImage } from "../docker/images";
import type { inspectNetwork } from "../docker/networks";
import type { inspectSwarmObject } from "../docker/secrets";
import type { findServices } from "../docker/services";
import type { listServiceTasks } from "../docker/tasks";
import type { inspectVolume } from "../docker/volumes";

type Found<F extends (...args: never[]) => Promise<unknown>> = NonNullable<Awaited<ReturnType<F>>>;

export type ContainerObject = Found<typeof inspectContainer>;
export type ImageObject = Found<typeof inspectImage>;
export type NetworkObject = Found<typeof inspectNetwork>;
export type VolumeObject = Found<typeof inspectVolume>;
/** A secret or a config. */
export type SwarmObject = Found<typeof inspectSwarmObject>;
export type ServiceObject = Found<typeof findServices>[number];
export type TaskObject = Found<typeof listServiceTasks>[number];
