import process from 'node:process';
// Preloaded into an instance (NODE_OPTIONS=--import): its clock runs CLOCK_OFFSET_MS ahead (or behind
// when negative), as on a host whose NTP is off.
const offset = Number(process.env.CLOCK_OFFSET_MS ?? 0);
if (offset !== 0) {
  const HostDate = Date;
  globalThis.Date = class SkewedDate extends HostDate {
    constructor(...args) {
      if (args.length === 0) super(HostDate.now() + offset);
      else super(...args);
    }
    static now() {
      return HostDate.now() + offset;
    }
  };
}
