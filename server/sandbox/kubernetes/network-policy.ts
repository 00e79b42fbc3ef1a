/**
 * Does a namespace's NetworkPolicy set let its pods open a connection to an address? Evaluated here, by
 * the rules of the NetworkPolicy API, because the offline test node's CNI enforces none of them
 * (docs/kubernetes-driver.md): the unit tests hold deploy/workshop.yaml's policies to the addresses a
 * sandbox must not reach (issue 17 §8), and `npm run doctor` asks the same of the policies a cluster
 * really has. CIDR arithmetic is node's own (`net.BlockList`).
 *
 * The rules, from the API reference: a pod is egress-isolated when a policy that selects it lists
 * `Egress` in policyTypes (or has egress rules and no policyTypes); then only what some rule of some such
 * policy allows is allowed, the union. A rule with no `to` allows every destination; an `ipBlock` peer
 * allows its cidr minus `except`; a selector peer allows pods. Every policy here is taken to select
 * every sandbox (the namespace holds nothing else), and ports are ignored (a rule that allows one port
 * to an address allows that address): both err towards "allowed", which is the safe side for a check
 * that an address is denied.
 */
import { BlockList, isIP } from 'node:net';
import type { V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';

/** What is at the address: an outside host (or a node, or the API server) or a pod of the cluster. */
export interface Destination {
  ip: string;
  /** A pod's address: selector peers may allow it (a pod in the policy's own namespace, or a namespace whose labels match). */
  pod?: { namespaceLabels: Record<string, string> } | undefined;
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

/** Is `ip` inside `cidr` (`10.0.0.0/8`, `fc00::/7`)? False for a malformed cidr or another family. */
export function inCidr(ip: string, cidr: string): boolean {
  const slash = cidr.lastIndexOf('/');
  const net = cidr.slice(0, slash);
  const prefix = Number(cidr.slice(slash + 1));
  if (slash < 0 || !isIP(net) || !isIP(ip) || family(net) !== family(ip) || !Number.isInteger(prefix)) return false;
  const list = new BlockList();
  try {
    list.addSubnet(net, prefix, family(net));
  } catch {
    return false;
  }
  return list.check(ip, family(ip));
}

function selectorMatches(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  // matchExpressions are not evaluated: taken as matching (the "allowed" side, see above).
  if (selector.matchExpressions?.length) return true;
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerAllows(peer: V1NetworkPolicyPeer, to: Destination): boolean {
  if (peer.ipBlock) {
    return inCidr(to.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(to.ip, c));
  }
  if (!to.pod) return false;
  // A podSelector alone selects pods of the policy's own namespace: a sandbox's neighbours.
  if (!peer.namespaceSelector) return peer.podSelector !== undefined;
  return selectorMatches(peer.namespaceSelector, to.pod.namespaceLabels);
}

function isolatesEgress(p: V1NetworkPolicy): boolean {
  const types = p.spec?.policyTypes;
  return types ? types.includes('Egress') : (p.spec?.egress?.length ?? 0) > 0;
}

/** Whether the pods of a namespace with these policies may connect to `to`; `why` names the rule. */
export function egressAllowed(policies: V1NetworkPolicy[], to: Destination): { allowed: boolean; why: string } {
  const isolating = policies.filter(isolatesEgress);
  if (isolating.length === 0) return { allowed: true, why: 'no NetworkPolicy limits egress' };
  for (const p of isolating) {
    for (const [i, rule] of (p.spec?.egress ?? []).entries()) {
      const name = `${p.metadata?.name ?? '?'} egress[${i}]`;
      if (!rule.to?.length) return { allowed: true, why: `${name} allows every destination` };
      if (rule.to.some((peer) => peerAllows(peer, to))) return { allowed: true, why: `${name} allows it` };
    }
  }
  return { allowed: false, why: `no rule of ${isolating.map((p) => p.metadata?.name ?? '?').join(', ')} allows it` };
}
