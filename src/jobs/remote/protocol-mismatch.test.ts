// src/jobs/remote/protocol-mismatch.test.ts — the line both sides say when the worker protocols differ names what
// differs (the protocols), which side's toonlora is older and the versions said, and asks for the same toonlora on
// both: followable when both builds say the same version (every build said 0.1.0).
import { describe, expect, it } from 'vitest';
import { protocolMismatchLine } from './protocol.js';

const INSTALL = 'install the same toonlora on both (toonlora --version prints the protocol)';

describe('protocolMismatchLine', () => {
  it('two builds that say the same version: names the protocols, not "upgrade to 0.1.0"', () => {
    const line = protocolMismatchLine(
      { protocol: 1, version: '0.1.0' },
      { protocol: 2, version: '0.1.0' },
      'gpu-a',
    );
    expect(line).toBe(
      'the toonlora on worker gpu-a is older than on the server: worker protocol 1 on worker gpu-a, 2 on the ' +
        `server (both say toonlora 0.1.0); ${INSTALL}`,
    );
    expect(line).not.toContain('upgrade');
  });

  it('a worker that sends no protocol is the older one', () => {
    expect(
      protocolMismatchLine(
        { protocol: null, version: null },
        { protocol: 1, version: '0.2.0' },
        'at 10.0.0.5',
      ),
    ).toBe(
      'the toonlora on worker at 10.0.0.5 is older than on the server: it sends no worker protocol version, the ' +
        `server speaks worker protocol 1 (toonlora 0.2.0 on the server); ${INSTALL}`,
    );
  });

  it('a server that answers none or an older one (the worker side says it, naming no worker)', () => {
    expect(protocolMismatchLine({ protocol: 1, version: '0.2.0' }, { protocol: null, version: null })).toBe(
      'the toonlora on the server is older than on the worker: it answers no worker protocol version, the worker ' +
        `speaks worker protocol 1 (toonlora 0.2.0 on the worker); ${INSTALL}`,
    );
    expect(protocolMismatchLine({ protocol: 3, version: '0.3.0' }, { protocol: 2, version: '0.2.0' })).toBe(
      'the toonlora on the server is older than on the worker: worker protocol 2 on the server, 3 on the worker ' +
        `(toonlora 0.3.0 on the worker, 0.2.0 on the server); ${INSTALL}`,
    );
  });
});
