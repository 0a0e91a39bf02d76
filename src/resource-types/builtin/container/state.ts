import type { ContainerObject } from "../../docker-objects";

/** What a container exposes to dependents (`{{ web.state.ip }}`...), from its inspect. Pure. */
import { containerNameOf, type PortBinding } from "../../../docker/types";
export interface ContainerState extends Record<string, unknown> {
  id: string;
  name: string;
  image: string;
  image_id: string;
  status: string;
  running: boolean;
  health: string | null;
  /** IP address on the first configured network (or the default bridge). */
  ip: string | null;
  networks: Record<string, { ip: string | null; gateway: string | null; aliases: string[] }>;
  ports: Record<string, { host_ip: string; host_port: number }[]>;
  /** Host port of the first published port, for the common single-port case. */
  host_port: number | null;
}

export function extractContainerState(inspect: ContainerObject, primaryNetwork?: string): ContainerState {
  const nets = inspect.NetworkSettings?.Networks ?? {};
  const networks: ContainerState["networks"] = {};
  const shortId = String(inspect.Id).slice(0, 12);
  for (const name of Object.keys(nets).sort()) {
    const n = nets[name];
    networks[name] = {
      ip: n.IPAddress || null,
      gateway: n.Gateway || null,
      aliases: (n.Aliases ?? []).filter((a: string) => a !== shortId && a !== inspect.Id),
    };
  }
  const ports: ContainerState["ports"] = {};
  const rawPorts: Record<string, PortBinding[] | null> = inspect.NetworkSettings?.Ports ?? {};
  for (const key of Object.keys(rawPorts).sort()) {
    const b = rawPorts[key];
    if (!b?.length) continue;
    // The engine lists IPv4 and IPv6 bindings of an unspecified host IP separately; keep distinct ports once.
    const seen = new Set<string>();
    ports[key] = b
      .map((x) => ({ host_ip: x.HostIp ?? "", host_port: Number(x.HostPort) }))
      .filter((x) => !seen.has(`${x.host_ip}:${x.host_port}`) && seen.add(`${x.host_ip}:${x.host_port}`));
  }
  const firstKey = Object.keys(ports)[0];
  const primary = primaryNetwork ?? Object.keys(nets)[0];
  return {
    id: inspect.Id,
    name: containerNameOf(inspect),
    image: inspect.Config?.Image ?? "",
    image_id: inspect.Image,
    status: inspect.State?.Status ?? "unknown",
    running: !!inspect.State?.Running,
    health: inspect.State?.Health?.Status ?? null,
    ip: (primary && networks[primary]?.ip) || inspect.NetworkSettings?.IPAddress || null,
    networks,
    ports,
    host_port: firstKey ? (ports[firstKey]![0]?.host_port ?? null) : null,
  };
}
