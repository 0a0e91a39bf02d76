/**
 * Names of what serve creates: deploy keys (`version:timestamp`), container names that can
 * never collide, and image references.
 */

/** `version:timestamp`, the identity of one deploy of a version. */
export function deployKey(version: string, timestamp: string): string {
  return `${version}:${timestamp}`;
}

export function splitDeployKey(key: string | undefined): { version: string; timestamp: string } | undefined {
  if (!key) return undefined;
  const i = key.lastIndexOf(":");
  if (i <= 0) return undefined;
  return { version: key.slice(0, i), timestamp: key.slice(i + 1) };
}

/**
 * Container names that can never collide. A service name or version may contain `-`, so
 * `<service>-<version>-...` alone is ambiguous (`a` + `b-c` and `a-b` + `c` give the same
 * name). Two families of names, told apart by `_`:
 *
 * - neither the service nor the version contains `-` or `_` (the common case): the
 *   original's `<service>-<version>-<rest>`; the dashes split it unambiguously, and such a
 *   name contains no `_`;
 * - otherwise: the parts joined with `_`, each `_` inside a part written twice
 *   (joinNameParts); such a name always contains a single `_`, and reads back into exactly
 *   one list of parts, because every part starts with a letter or digit.
 *
 * Instances are always found by their labels, never by parsing names, so instances named
 * by an earlier release are still found.
 */
export function containerName(service: string, version: string, rest: string[]): string {
  const plain = (s: string) => !/[-_]/.test(s);
  return plain(service) && plain(version) ? [service, version, ...rest].join("-") : joinNameParts([service, version, ...rest]);
}

/** Joins parts with `_`, doubling each `_` inside a part (see containerName). */
export function joinNameParts(parts: string[]): string {
  return parts.map((p) => p.replaceAll("_", "__")).join("_");
}

/** The inverse of joinNameParts: `__` is a literal `_`, a single `_` separates parts. */
export function splitNameParts(name: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] !== "_") current += name[i];
    else if (name[i + 1] === "_") {
      current += "_";
      i++;
    } else {
      parts.push(current);
      current = "";
    }
  }
  parts.push(current);
  return parts;
}

/** Instance k of a deploy: `<service>-<version>-<timestamp>-<k>` when unambiguous (containerName). */
export function instanceName(service: string, version: string, timestamp: string, instance: number | string): string {
  return containerName(service, version, [timestamp, String(instance)]);
}

/** A task container: `<service>-<version>-task-<id>` when unambiguous; never an instance's name ("task" is no timestamp). */
export function taskName(service: string, version: string, id: string): string {
  return containerName(service, version, ["task", id]);
}

/** `<prefix>/<service>:<version>` where prefix is --registry-url or --docker-hub-username. */
export function imageRef(prefix: string, service: string, version: string): string {
  return `${prefix}/${service}:${version}`;
}
