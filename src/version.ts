/** Lattice's own name and version, as reported to other servers and in logs. */
import packageJson from '../package.json' with { type: 'json' };

export const serverSoftware = { name: 'Lattice', version: packageJson.version } as const;
