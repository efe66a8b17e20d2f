// src/models/proxy-fetch.ts — the fetch `models pull` downloads with: behind `HTTPS_PROXY` / `HTTP_PROXY`
// (lower case too; `NO_PROXY` / `no_proxy` for the hosts that skip it) it goes through undici's
// EnvHttpProxyAgent, as Node 20's built-in fetch reads none of these; without them it is the built-in fetch.
// Only toonlora's downloads use it: no global dispatcher is set, so nothing else in the process changes.
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { CacheEnv } from './cache-paths.js';

/** The proxy settings in an environment, or undefined when no proxy is set. */
export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  /** Comma- or space-separated hosts (`.example.com`, `host:port`, `*`) fetched without the proxy. */
  noProxy: string;
}

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '')?.trim();
}

/** Reads the proxy variables as curl and undici do: the lower-case name first, then the upper-case one. */
export function proxySettingsOf(env: CacheEnv): ProxySettings | undefined {
  const httpProxy = firstSet(env.http_proxy, env.HTTP_PROXY);
  const httpsProxy = firstSet(env.https_proxy, env.HTTPS_PROXY);
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  return { httpProxy, httpsProxy, noProxy: firstSet(env.no_proxy, env.NO_PROXY) ?? '' };
}

const agents = new Map<string, EnvHttpProxyAgent>();

/**
 * One agent per distinct setting (its connections are reused across a pull's files). undici 6 warns once per
 * process that EnvHttpProxyAgent is experimental; that warning would land in the middle of a pull's output
 * and means nothing to its user, so it is left out while the agent is made (nothing else runs meanwhile).
 */
function agentFor(settings: ProxySettings): EnvHttpProxyAgent {
  const key = JSON.stringify(settings);
  const known = agents.get(key);
  if (known) return known;
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0] as { code?: string } | undefined;
    if (options?.code === 'UNDICI-EHPA') return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const agent = new EnvHttpProxyAgent(settings);
    agents.set(key, agent);
    return agent;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * The fetch for downloads in `env`: through the proxy its variables name (NO_PROXY hosts directly), or
 * undefined when it names none (the caller uses the built-in fetch).
 */
export function proxyFetchFor(env: CacheEnv): typeof fetch | undefined {
  const settings = proxySettingsOf(env);
  if (!settings) return undefined;
  const dispatcher = agentFor(settings);
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as typeof fetch;
}
