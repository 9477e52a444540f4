import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './azurite';

describe('freePorts', () => {
  it('never hands out the same port twice in one process, though each is free again once returned', async () => {
    // 600 random picks from 12,000 ports would repeat one almost surely (1 − e^−15).
    const ports: number[] = [];
    for (let i = 0; i < 600; i++) ports.push(...(await freePorts(1)));
    expect(new Set(ports).size).toBe(600);
  });

  it('gives distinct ports below the ephemeral range, where no outgoing connection can take them', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const range = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const ephemeralStart = Number(range.trim().split(/\s+/)[0]);
    for (const port of ports) expect(port).toBeLessThan(ephemeralStart);
    // Free to bind once returned.
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
