// Every fault kind, in the report's order.
import { badInput } from './bad-input';
import { eio } from './eio';
import type { FaultKind } from './fault-kind';
import { fullDisk } from './full-disk';
import { leak } from './leak';
import { leaseOtrunc, leaseRace } from './lease-race';
import { leaseStopped } from './lease-stopped';
import { race } from './race';
import { raw, truncation } from './truncation';
import { vanish } from './vanish';

export const KINDS: readonly FaultKind[] = [
  truncation, race, eio, vanish, fullDisk, badInput, leak, leaseRace, leaseOtrunc, leaseStopped, raw,
];
